// Runs the configured hooks in order for both phases; validates names, order and declared
// dependencies at start-up and refuses to start when they are wrong.
import { AppError } from '../core/errors.js';
import type { IntrospectionRecord } from '../core/introspection-record.js';
import type { LogLike } from '../core/log.js';
import type { IntrospectionData } from '../core/lookup.js';
import type { NodeRecord } from '../core/node.js';
import type { NodeRepository } from '../core/node-repository.js';
import type { EventSink } from '../core/events.js';
import { HookError, type PipelineSettings, type ProcessingHook } from './hook.js';
import { normalizeLegacyFormat } from './hooks/legacy-format.js';

export interface PipelineDeps {
  nodes: NodeRepository;
  log: LogLike;
  events: EventSink;
  settings: PipelineSettings;
  clock: { now(): number };
}

export class HookPipeline {
  readonly hooks: readonly ProcessingHook[];

  constructor(
    private readonly deps: PipelineDeps,
    names: readonly string[],
    registry: ReadonlyMap<string, ProcessingHook>,
  ) {
    const problems: string[] = [];
    const hooks: ProcessingHook[] = [];
    const seen = new Set<string>();
    for (const name of names) {
      const hook = registry.get(name);
      if (!hook) {
        problems.push(`unknown processing hook "${name}" (known: ${[...registry.keys()].join(', ')})`);
        continue;
      }
      if (seen.has(name)) problems.push(`processing hook "${name}" is listed twice`);
      for (const dependency of hook.dependsOn ?? []) {
        if (!seen.has(dependency)) {
          problems.push(
            `processing hook "${name}" needs "${dependency}" earlier in [processing] processing_hooks`,
          );
        }
      }
      seen.add(name);
      hooks.push(hook);
    }
    if (problems.length > 0) throw new AppError('ERR_HOOK_CONFIG', problems.join('; '));
    this.hooks = hooks;
  }

  async beforeProcessing(data: IntrospectionData): Promise<string[]> {
    const errors: string[] = [];
    normalizeLegacyFormat(data);
    for (const hook of this.hooks) {
      if (!hook.beforeProcessing) continue;
      try {
        await hook.beforeProcessing(data, { log: this.deps.log, settings: this.deps.settings });
      } catch (error) {
        const message =
          error instanceof HookError
            ? error.message
            : `Unexpected exception ${(error as Error).name}: ${(error as Error).message}`;
        errors.push(`Preprocessing hook ${hook.name}: ${message}`);
      }
    }
    return errors;
  }

  async beforeUpdate(
    data: IntrospectionData,
    context: { node: NodeRecord; record: IntrospectionRecord },
  ): Promise<void> {
    for (const hook of this.hooks) {
      if (!hook.beforeUpdate) continue;
      const started = this.deps.clock.now();
      const node = this.deps.nodes.require(context.node.uuid);
      try {
        await hook.beforeUpdate(data, {
          log: this.deps.log.child({ hook: hook.name, node: node.uuid }),
          settings: this.deps.settings,
          node,
          record: context.record,
          nodes: this.deps.nodes,
        });
      } catch (error) {
        const message =
          error instanceof HookError
            ? error.message
            : `Unexpected exception ${(error as Error).name}: ${(error as Error).message}`;
        this.deps.events.emit({
          type: 'hook.failed',
          node: node.uuid,
          level: 'error',
          message: `hook ${hook.name} failed: ${message}`,
        });
        throw new HookError(`Hook ${hook.name} failed: ${message}`);
      }
      this.deps.events.emit({
        type: 'hook.done',
        node: node.uuid,
        level: 'debug',
        message: `hook ${hook.name} done`,
        data: { ms: this.deps.clock.now() - started },
      });
    }
  }
}
