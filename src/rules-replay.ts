// Rules over stored data, beyond the reference: a dry run (POST /v1/rules/dry-run) that reports
// per node which conditions matched and the exact node diff the actions would make, changing
// nothing; and an apply (POST /v1/rules/apply) that re-runs the stored rules, not the hooks.
import { AppError } from './core/errors.js';
import type { EventSink } from './core/events.js';
import type { RuleRecord } from './core/introspection-record.js';
import type { NodeLocks } from './core/locks.js';
import type { NodeRepository } from './core/node-repository.js';
import type { NodeRecord } from './core/node.js';
import type { BlobStore, Clock, StateStore } from './core/ports.js';
import type { ActionReport, ApplyResult, Evaluation, RuleEvaluation } from './rules/engine.js';
import type { NodeChange } from './rules/diff.js';
import { validateRule } from './rules/validate.js';
import { dryRun, persistRuleResult } from './rules-runner.js';

export interface RuleReplayDeps {
  store: StateStore;
  nodes: NodeRepository;
  blobs: BlobStore;
  events: EventSink;
  clock: Clock;
  /** The introspection service's node locks: a node being introspected is skipped by apply. */
  locks: Pick<NodeLocks, 'tryAcquire'>;
}

export interface ConditionReport {
  index: number;
  op: string;
  field: string;
  matched: boolean;
  values: unknown[];
  error?: string;
}

export interface RuleReport {
  uuid: string;
  description: string | null;
  scope: string | null;
  in_scope: boolean;
  matched: boolean;
  conditions: ConditionReport[];
}

export interface NodeReport {
  uuid: string;
  name: string | null;
  /** False when the node has no stored processed data (or, for apply, is locked). */
  evaluated: boolean;
  reason?: string;
  rules?: RuleReport[];
  /** The node diff (properties, extra, driver_info, traits …) the actions make; secrets masked. */
  changes?: NodeChange[];
  actions?: ActionReport[];
  failed?: string;
  /** apply only: whether the changes were stored. */
  applied?: boolean;
}

const MAX_VALUE_CHARS = 2000;
const NO_DATA = 'no processed introspection data is stored for this node';

function conditionReport(c: RuleEvaluation['conditions'][number]): ConditionReport {
  // A field like data://inventory selects megabytes; the report keeps small values only.
  const json = JSON.stringify(c.values);
  return {
    index: c.index,
    op: c.op,
    field: c.field,
    matched: c.matched,
    values: json.length <= MAX_VALUE_CHARS ? c.values : [`<${json.length} characters omitted>`],
    ...(c.error !== undefined ? { error: c.error } : {}),
  };
}

function ruleReport(r: RuleEvaluation): RuleReport {
  return {
    uuid: r.uuid,
    description: r.description,
    scope: r.scope,
    in_scope: r.inScope,
    matched: r.matched,
    conditions: r.conditions.map(conditionReport),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nodeList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === ''))
    throw new AppError('ERR_API_BAD_BODY', '"nodes" must be a list of node UUIDs or names');
  return value as string[];
}

/** The rules of a dry-run body: one rule, {"rules": [...]}, or nothing (= the stored rules). */
export function dryRunRules(
  body: unknown,
  stored: readonly RuleRecord[],
  now: string,
): { rules: RuleRecord[]; nodes?: string[] } {
  if (body === undefined || body === null) return { rules: [...stored] };
  if (!isObject(body)) throw new AppError('ERR_API_BAD_BODY', 'dry-run body must be a JSON object');
  const { nodes: nodesValue, ...rest } = body;
  const nodes = nodeList(nodesValue);
  const withNodes = (rules: RuleRecord[]): { rules: RuleRecord[]; nodes?: string[] } =>
    nodes ? { rules, nodes } : { rules };
  if (Object.keys(rest).length === 0) return withNodes([...stored]);
  let bodies: unknown[];
  let where: (i: number) => string;
  if ('rules' in rest) {
    const extra = Object.keys(rest).filter((k) => k !== 'rules');
    if (extra.length > 0)
      throw new AppError('ERR_API_BAD_BODY', `unexpected parameter(s) next to "rules": ${extra.join(', ')}`);
    if (!Array.isArray(rest.rules) || rest.rules.length === 0)
      throw new AppError('ERR_RULE_INVALID', 'Invalid rule: "rules" must be a non-empty list of rules');
    bodies = rest.rules;
    where = (i) => `rules[${i}].`;
  } else {
    bodies = [rest];
    where = () => '';
  }
  const rules = bodies.map((b, i): RuleRecord => {
    const result = validateRule(b);
    if (!result.ok) {
      throw new AppError(
        'ERR_RULE_INVALID',
        `Invalid rule: ${result.errors.map((e) => `${where(i)}${e.field}: ${e.message}`).join('; ')}`,
      );
    }
    return {
      ...result.rule,
      uuid: result.rule.uuid ?? `dry-run-${i + 1}`,
      // Same stamp for all: the engine keeps list order among equal created_at.
      created_at: now,
    };
  });
  return withNodes(rules);
}

export class RuleReplay {
  constructor(private readonly deps: RuleReplayDeps) {}

  private targets(ids: string[] | undefined): NodeRecord[] {
    if (ids === undefined) return [...this.deps.nodes.list()];
    return ids.map((id) => this.deps.nodes.require(id));
  }

  private async storedData(uuid: string): Promise<unknown> {
    const json = await this.deps.blobs.getData(uuid, 'processed');
    return json === null ? null : (JSON.parse(json) as unknown);
  }

  /** Evaluate without changing anything (no store write, no event). */
  async dryRun(body: unknown): Promise<{ rules: string[]; nodes: NodeReport[] }> {
    const now = new Date(this.deps.clock.now()).toISOString();
    const { rules, nodes } = dryRunRules(body, this.deps.store.doc.rules, now);
    const reports: NodeReport[] = [];
    for (const node of this.targets(nodes)) {
      const data = await this.storedData(node.uuid);
      if (data === null) {
        reports.push(skipped(node, NO_DATA));
        continue;
      }
      const { evaluation, result } = dryRun(rules, node, data, this.deps);
      reports.push(evaluatedReport(node, evaluation, result));
    }
    return { rules: rules.map((r) => r.uuid), nodes: reports };
  }

  /** Re-run the stored rules over stored data of the chosen (or all) nodes and store the result. */
  async apply(body: unknown): Promise<{ nodes: NodeReport[] }> {
    if (body !== undefined && body !== null && !isObject(body))
      throw new AppError('ERR_API_BAD_BODY', 'apply body must be a JSON object');
    const b = isObject(body) ? body : {};
    const extra = Object.keys(b).filter((k) => k !== 'nodes');
    if (extra.length > 0)
      throw new AppError('ERR_API_BAD_BODY', `unexpected parameter(s): ${extra.join(', ')}`);
    const rules = this.deps.store.doc.rules;
    const reports: NodeReport[] = [];
    for (const target of this.targets(nodeList(b.nodes))) {
      const release = this.deps.locks.tryAcquire(target.uuid);
      if (!release) {
        reports.push(skipped(target, 'the node is locked by an introspection step; retry later'));
        continue;
      }
      try {
        const data = await this.storedData(target.uuid);
        if (data === null) {
          reports.push(skipped(target, NO_DATA));
          continue;
        }
        const node = this.deps.nodes.require(target.uuid);
        const { evaluation, result } = dryRun(rules, node, data, this.deps);
        const failed = result.failed !== undefined;
        // A failing rule stores nothing: apply is all or nothing per node.
        if (!failed) await persistRuleResult(this.deps.nodes, node.uuid, result);
        this.deps.events.emit({
          type: 'rule.applied',
          node: node.uuid,
          level: failed ? 'error' : 'info',
          message: failed
            ? `rules re-applied on stored data failed, nothing changed: ${result.failed}`
            : `rules re-applied on stored data: ${evaluation.matched.length} rule(s) matched, ${result.changes.length} change(s) applied`,
          data: { matched: evaluation.matched.map((r) => r.uuid), changes: result.changes, replay: true },
        });
        reports.push({ ...evaluatedReport(node, evaluation, result), applied: !failed });
      } finally {
        release();
      }
    }
    return { nodes: reports };
  }
}

function evaluatedReport(node: NodeRecord, evaluation: Evaluation, result: ApplyResult): NodeReport {
  return {
    uuid: node.uuid,
    name: node.name,
    evaluated: true,
    rules: evaluation.rules.map(ruleReport),
    changes: result.changes,
    actions: result.actions,
    ...(result.failed !== undefined ? { failed: result.failed } : {}),
  };
}

function skipped(node: NodeRecord, reason: string): NodeReport {
  return { uuid: node.uuid, name: node.name, evaluated: false, reason };
}
