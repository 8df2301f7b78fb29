// Rule evaluation (ironic-inspector rules.apply): in creation order, every rule's scope and
// conditions are checked first, then the actions of all matching rules run in order. Pure: the
// input node is never mutated; the caller persists the returned node.
import type { RuleCondition, RuleRecord } from '../core/introspection-record.js';
import { redactNode, type NodeRecord } from '../core/node.js';
import { conditionPlugins, actionPlugins } from './registry.js';
import { parseRuleField } from './field.js';
import { queryJsonPath } from './jsonpath.js';
import { formatValue } from './python-format.js';
import { diffNodes, type NodeChange } from './diff.js';

export interface RuleContext {
  /** Processed introspection data (the `data://` scheme and `{data[…]}` formatting). */
  data: unknown;
  /** The node as stored (the `node://` scheme sees it with driver_info secrets masked). */
  node: NodeRecord;
}

export interface ConditionResult {
  index: number;
  op: string;
  field: string;
  multiple: 'any' | 'all' | 'first';
  invert: boolean;
  /** The values the field's path selected ([] when missing). */
  values: unknown[];
  missing: boolean;
  matched: boolean;
  /** Why the check could not run (bad coercion, bad IP, bad field); the condition is false. */
  error?: string;
}

export interface RuleEvaluation {
  uuid: string;
  description: string | null;
  scope: string | null;
  /** False when the rule has a scope different from the node's properties.inspection_scope. */
  inScope: boolean;
  /** inScope and every condition matched (a rule without conditions always matches). */
  matched: boolean;
  conditions: ConditionResult[];
}

export interface Evaluation {
  /** Every rule, in creation order. */
  rules: RuleEvaluation[];
  /** The matching rules, in creation order: their actions run in applyActions. */
  matched: RuleRecord[];
}

export interface ActionReport {
  rule: string;
  index: number;
  action: string;
  ok: boolean;
  message?: string;
}

export interface ApplyResult {
  /** A new node object with the actions' effect (the input node is untouched). */
  node: NodeRecord;
  /** Set when a `fail` action ran or an action could not be applied: the introspection error. */
  failed?: string;
  /** Rule that failed, when `failed` is set. */
  failedRule?: string;
  changes: NodeChange[];
  actions: ActionReport[];
}

function paramsOf(obj: Record<string, unknown>, reserved: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!reserved.includes(k)) out[k] = v;
  return out;
}

function evaluateCondition(
  cond: RuleCondition,
  index: number,
  data: unknown,
  nodeView: unknown,
): ConditionResult {
  const multiple = cond.multiple ?? 'any';
  const invert = cond.invert ?? false;
  const base = { index, op: cond.op, field: cond.field, multiple, invert };
  const plugin = conditionPlugins.get(cond.op);
  const field = parseRuleField(cond.field);
  if (!plugin || !field.ok) {
    const error = !plugin ? `unknown condition operator ${cond.op}` : (field as { error: string }).error;
    return { ...base, values: [], missing: true, matched: false, error };
  }
  const values = queryJsonPath(field.path, field.scheme === 'node' ? nodeView : data);
  const missing = values.length === 0;
  // A missing field fails the condition (even inverted) except for ops that test null.
  if (missing && !plugin.allowMissing) return { ...base, values, missing, matched: false };
  const params = paramsOf(cond, ['op', 'field', 'multiple', 'invert']);
  let result = false;
  try {
    for (const value of missing ? [null] : values) {
      result = plugin.check(value, params);
      if (invert) result = !result;
      if (multiple === 'first' || (multiple === 'all' && !result) || (multiple === 'any' && result)) break;
    }
  } catch (e) {
    // ironic-inspector lets such exceptions fail the whole introspection; we treat the
    // condition as false and report why, so one bad rule cannot break every node.
    return { ...base, values, missing, matched: false, error: (e as Error).message };
  }
  return { ...base, values, missing, matched: result };
}

/** Check every rule's scope and conditions against the data and node; changes nothing. */
export function evaluateRules(rules: readonly RuleRecord[], ctx: RuleContext): Evaluation {
  const ordered = rules
    .map((rule, i) => ({ rule, i }))
    .sort((a, b) =>
      a.rule.created_at < b.rule.created_at ? -1 : a.rule.created_at > b.rule.created_at ? 1 : a.i - b.i,
    )
    .map((x) => x.rule);
  const nodeView = redactNode(ctx.node);
  const inspectionScope = ctx.node.properties['inspection_scope'];
  const evaluations: RuleEvaluation[] = [];
  const matched: RuleRecord[] = [];
  for (const rule of ordered) {
    const inScope = !rule.scope || rule.scope === inspectionScope;
    const conditions = rule.conditions.map((c, i) => evaluateCondition(c, i, ctx.data, nodeView));
    const ok = inScope && conditions.every((c) => c.matched);
    evaluations.push({
      uuid: rule.uuid,
      description: rule.description,
      scope: rule.scope,
      inScope,
      matched: ok,
      conditions,
    });
    if (ok) matched.push(rule);
  }
  return { rules: evaluations, matched };
}

/**
 * Run the actions of the matched rules in order on a copy of ctx.node. Stops at the first
 * failure (a `fail` action, a formatting error or an impossible patch): `node` then holds the
 * changes made before it, as Ironic would have kept them. `now` stamps updated_at on change.
 */
export function applyActions(
  evaluation: Evaluation,
  ctx: RuleContext,
  opts: { now?: string } = {},
): ApplyResult {
  const node = structuredClone(ctx.node);
  const reports: ActionReport[] = [];
  let failed: string | undefined;
  let failedRule: string | undefined;
  const vars = { data: ctx.data };
  outer: for (const rule of evaluation.matched) {
    for (const [index, action] of rule.actions.entries()) {
      const report = (ok: boolean, message?: string): void => {
        reports.push({ rule: rule.uuid, index, action: action.action, ok, ...(message ? { message } : {}) });
      };
      const where = `Rule ${rule.uuid} action ${index} (${action.action})`;
      const plugin = actionPlugins.get(action.action);
      if (!plugin) {
        failed = `${where}: unknown action`;
        failedRule = rule.uuid;
        report(false, failed);
        break outer;
      }
      const params = paramsOf(action, ['action']);
      for (const name of plugin.formatted) {
        if (!(name in params)) continue;
        const formatted = formatValue(params[name], vars);
        if (!formatted.ok) {
          failed = `${where}: ${formatted.error}`;
          failedRule = rule.uuid;
          report(false, failed);
          break outer;
        }
        params[name] = formatted.value;
      }
      const outcome = plugin.apply(node, params);
      if (!outcome.ok) {
        failed = outcome.failed ? outcome.error : `${where}: ${outcome.error}`;
        failedRule = rule.uuid;
        report(false, outcome.error);
        break outer;
      }
      report(true, outcome.note);
    }
  }
  const changes = diffNodes(ctx.node, node);
  if (changes.length > 0 && opts.now !== undefined) node.updated_at = opts.now;
  return {
    node,
    changes,
    actions: reports,
    ...(failed !== undefined ? { failed, failedRule } : {}),
  };
}
