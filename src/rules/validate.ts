// Validation of a rule body exactly as POST /v1/rules receives it (ironic-inspector rule JSON,
// API 1.0–1.18): every problem is reported with the field it concerns, e.g. `conditions[0].value`.
import type { RuleAction, RuleCondition } from '../core/introspection-record.js';
import { checkParams } from './plugin.js';
import { conditionPlugins, actionPlugins } from './registry.js';
import { parseRuleField } from './field.js';
import { checkTemplates } from './python-format.js';

export interface RuleFieldError {
  /** Where the problem is: `uuid`, `scope`, `conditions[1].field`, `actions[0].path`, … */
  field: string;
  message: string;
}

/** A validated rule, normalised; the caller assigns a uuid when null and `created_at`. */
export interface RuleDraft {
  uuid: string | null;
  description: string | null;
  scope: string | null;
  conditions: RuleCondition[];
  actions: RuleAction[];
}

export type RuleValidation = { ok: true; rule: RuleDraft } | { ok: false; errors: RuleFieldError[] };

const TOP_LEVEL = new Set(['uuid', 'description', 'scope', 'conditions', 'actions', 'links']);
const RESERVED_CONDITION_KEYS = new Set(['op', 'field', 'multiple', 'invert']);
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Canonical lowercase dashed form of a UUID (oslo is_uuid_like also accepts no dashes), or null. */
export function normalizeUuid(value: string): string | null {
  if (!UUID_RE.test(value)) return null;
  const hex = value.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function validateCondition(raw: unknown, at: string, errors: RuleFieldError[]): RuleCondition | null {
  if (!isPlainObject(raw)) {
    errors.push({ field: at, message: 'condition must be an object' });
    return null;
  }
  const before = errors.length;
  const op = raw['op'];
  const plugin = typeof op === 'string' ? conditionPlugins.get(op) : undefined;
  if (op === undefined) errors.push({ field: `${at}.op`, message: "'op' is a required property" });
  else if (!plugin) {
    errors.push({
      field: `${at}.op`,
      message: `unknown condition operator ${JSON.stringify(op)}; valid: ${[...conditionPlugins.keys()].join(', ')}`,
    });
  }
  if (raw['field'] === undefined)
    errors.push({ field: `${at}.field`, message: "'field' is a required property" });
  else {
    const f = parseRuleField(raw['field']);
    if (!f.ok) errors.push({ field: `${at}.field`, message: f.error });
  }
  const multiple = raw['multiple'] ?? 'any';
  if (multiple !== 'any' && multiple !== 'all' && multiple !== 'first') {
    errors.push({ field: `${at}.multiple`, message: 'multiple must be one of any, all, first' });
  }
  const invert = raw['invert'] ?? false;
  if (typeof invert !== 'boolean')
    errors.push({ field: `${at}.invert`, message: 'invert must be a boolean' });
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!RESERVED_CONDITION_KEYS.has(k)) params[k] = v;
  if (plugin) {
    for (const e of checkParams(plugin, params)) {
      errors.push({
        field: `${at}.${e.param}`,
        message: `Invalid parameters for operator ${plugin.op}: ${e.message}`,
      });
    }
  }
  if (errors.length > before) return null;
  return {
    op: op as string,
    field: raw['field'] as string,
    multiple: multiple as 'any' | 'all' | 'first',
    invert: invert as boolean,
    ...params,
  };
}

function validateAction(raw: unknown, at: string, errors: RuleFieldError[]): RuleAction | null {
  if (!isPlainObject(raw)) {
    errors.push({ field: at, message: 'action must be an object' });
    return null;
  }
  const name = raw['action'];
  if (name === undefined) {
    errors.push({ field: `${at}.action`, message: "'action' is a required property" });
    return null;
  }
  const plugin = typeof name === 'string' ? actionPlugins.get(name) : undefined;
  if (!plugin) {
    errors.push({
      field: `${at}.action`,
      message: `unknown action ${JSON.stringify(name)}; valid: ${[...actionPlugins.keys()].join(', ')}`,
    });
    return null;
  }
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (k !== 'action') params[k] = v;
  const before = errors.length;
  for (const e of checkParams(plugin, params)) {
    errors.push({
      field: `${at}.${e.param}`,
      message: `Invalid parameters for action ${plugin.action}: ${e.message}`,
    });
  }
  // Template syntax is checked now so a broken `{…}` is a 400, not a failed introspection later;
  // unknown keys can only be known against real data, so they fail the rule at run time.
  for (const param of plugin.formatted) {
    if (params[param] === undefined) continue;
    const e = checkTemplates(params[param]);
    if (e) errors.push({ field: `${at}.${param}`, message: `invalid format string: ${e}` });
  }
  if (errors.length > before) return null;
  return { action: plugin.action, ...params };
}

/** Validate a POST /v1/rules body; never throws. */
export function validateRule(body: unknown): RuleValidation {
  const errors: RuleFieldError[] = [];
  if (!isPlainObject(body))
    return { ok: false, errors: [{ field: '', message: 'rule must be a JSON object' }] };

  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL.has(key)) errors.push({ field: key, message: `unexpected parameter(s): ${key}` });
  }

  let uuid: string | null = null;
  if (body['uuid'] !== undefined && body['uuid'] !== null) {
    const u = typeof body['uuid'] === 'string' ? normalizeUuid(body['uuid']) : null;
    if (!u) errors.push({ field: 'uuid', message: `Invalid UUID value: ${JSON.stringify(body['uuid'])}` });
    uuid = u;
  }

  const description = body['description'] ?? null;
  if (description !== null && (typeof description !== 'string' || description.length > 255)) {
    errors.push({
      field: 'description',
      message: 'description must be a string of at most 255 characters or null',
    });
  }

  const scope = body['scope'] ?? null;
  if (scope !== null && (typeof scope !== 'string' || scope.length > 255)) {
    errors.push({ field: 'scope', message: 'scope must be a string of at most 255 characters or null' });
  }

  const conditions: RuleCondition[] = [];
  const rawConditions = body['conditions'] ?? [];
  if (!Array.isArray(rawConditions))
    errors.push({ field: 'conditions', message: 'conditions must be a list' });
  else {
    rawConditions.forEach((c, i) => {
      const v = validateCondition(c, `conditions[${i}]`, errors);
      if (v) conditions.push(v);
    });
  }

  const actions: RuleAction[] = [];
  const rawActions = body['actions'];
  if (!Array.isArray(rawActions)) {
    errors.push({ field: 'actions', message: 'actions must be a list with at least one action' });
  } else if (rawActions.length === 0) {
    errors.push({ field: 'actions', message: 'Cannot create a rule without actions' });
  } else {
    rawActions.forEach((a, i) => {
      const v = validateAction(a, `actions[${i}]`, errors);
      if (v) actions.push(v);
    });
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    rule: {
      uuid,
      description: description as string | null,
      scope: scope as string | null,
      conditions,
      actions,
    },
  };
}

/** One human-readable line for an HTTP 400 message: `conditions[0].value: invalid …; actions: …`. */
export function describeRuleErrors(errors: readonly RuleFieldError[]): string {
  return errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ');
}
