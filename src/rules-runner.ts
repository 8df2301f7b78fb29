// Glue between the introspection flow and the rules engine: evaluate every rule on processed
// data, apply the matching rules' actions to the node through the repository, record the diff.
import type { Clock } from './core/clock.js';
import type { EventSink } from './core/events.js';
import type { RuleRunner } from './core/introspection.js';
import type { NodeRepository } from './core/node-repository.js';
import type { NodeRecord } from './core/node.js';
import type { StateStore } from './core/ports.js';
import { applyActions, evaluateRules, type ApplyResult, type Evaluation } from './rules/engine.js';
import type { RuleRecord } from './core/introspection-record.js';

export interface RuleRunnerDeps {
  store: StateStore;
  nodes: NodeRepository;
  events: EventSink;
  clock: Clock;
}

/** Evaluate rules against one node's data without changing anything (dry run). */
export function dryRun(
  rules: readonly RuleRecord[],
  node: NodeRecord,
  data: unknown,
  deps: Pick<RuleRunnerDeps, 'clock'>,
): { evaluation: Evaluation; result: ApplyResult } {
  const evaluation = evaluateRules(rules, { data, node });
  const result = applyActions(evaluation, { data, node }, { now: new Date(deps.clock.now()).toISOString() });
  return { evaluation, result };
}

/** Persist the node an ApplyResult computed (all mutable fields). */
export async function persistRuleResult(
  nodes: NodeRepository,
  uuid: string,
  result: ApplyResult,
): Promise<void> {
  if (result.changes.length === 0) return;
  await nodes.update(uuid, (node) => {
    const next = result.node;
    node.name = next.name;
    node.driver = next.driver;
    node.driver_info = next.driver_info;
    node.properties = next.properties;
    node.extra = next.extra;
    node.traits = next.traits;
    node.provision_state = next.provision_state;
    node.maintenance = next.maintenance;
  });
}

export function createRuleRunner(deps: RuleRunnerDeps): RuleRunner {
  return {
    async apply(uuid, data) {
      const rules = deps.store.doc.rules;
      if (rules.length === 0) return {};
      const node = deps.nodes.require(uuid);
      const { evaluation, result } = dryRun(rules, node, data, deps);
      await persistRuleResult(deps.nodes, uuid, result);
      if (evaluation.matched.length > 0 || result.failed) {
        deps.events.emit({
          type: 'rule.applied',
          node: uuid,
          level: result.failed ? 'error' : 'info',
          message: result.failed
            ? `rules failed: ${result.failed}`
            : `${evaluation.matched.length} rule(s) matched, ${result.changes.length} change(s) applied`,
          data: { matched: evaluation.matched.map((r) => r.uuid), changes: result.changes },
        });
      }
      return result.failed !== undefined ? { failed: result.failed } : {};
    },
  };
}
