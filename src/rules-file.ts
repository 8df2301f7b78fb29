// Introspection rules as a file ([rules] rules_file, ADR 0011): a JSON array of POST /v1/rules
// bodies, synced into the stored rule set at start and on every SIGHUP so that the stored
// file-sourced rules equal the file. Rules created through the API are never touched.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Clock } from './core/clock.js';
import { AppError } from './core/errors.js';
import type { EventSink } from './core/events.js';
import type { RuleRecord } from './core/introspection-record.js';
import type { StateStore } from './core/ports.js';
import { RuleBook, type RuleValidator } from './core/rule-book.js';
import { validateRule, type RuleDraft } from './rules/validate.js';

/**
 * A stored rule with its origin. The marker lives in the rule record of the state document (the
 * store keeps unknown record fields), so ownership and the rule are written together, atomically.
 */
export type SourcedRule = RuleRecord & { source?: 'file' };

export function isFileRule(rule: RuleRecord): boolean {
  return (rule as SourcedRule).source === 'file';
}

/** A validated rule of the file with its final uuid. */
export interface WantedRule {
  uuid: string;
  description: string | null;
  scope: string | null;
  conditions: RuleDraft['conditions'];
  actions: RuleDraft['actions'];
}

/** Fixed namespace of derived rule uuids (RFC 4122 §4.3 name-based, version 5). */
const RULES_FILE_NAMESPACE = '6f1d7c2a-9b3e-4f0a-8e55-2c4b9a7d1e30';

/** JSON with sorted object keys: the same rule always gives the same text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50; // version 5
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80; // RFC 4122 variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The uuid of a file rule that gives none: from its description when it has one (editing the
 * conditions or actions then replaces the rule under the same uuid), else from its whole content
 * (any edit then deletes the old rule and creates a new one).
 */
export function derivedRuleUuid(
  rule: Pick<RuleDraft, 'description' | 'scope' | 'conditions' | 'actions'>,
): string {
  const name =
    typeof rule.description === 'string' && rule.description.trim() !== ''
      ? `description:${rule.description}`
      : `content:${canonical({ scope: rule.scope, conditions: rule.conditions, actions: rule.actions })}`;
  return uuidV5(RULES_FILE_NAMESPACE, name);
}

export type RulesFileParse = { ok: true; rules: WantedRule[] } | { ok: false; errors: string[] };

/** Parse and validate the file's text; every problem at once, each with its `[index].field`. */
export function parseRulesFile(
  text: string,
  validate: (body: unknown) => ReturnType<typeof validateRule> = validateRule,
): RulesFileParse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, errors: [`not JSON: ${(error as Error).message}`] };
  }
  if (!Array.isArray(parsed)) {
    return { ok: false, errors: ['must be a JSON array of rules (POST /v1/rules bodies)'] };
  }
  const errors: string[] = [];
  const rules: WantedRule[] = [];
  const seen = new Map<string, number>();
  parsed.forEach((body: unknown, index) => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      errors.push(`[${index}]: a rule must be a JSON object`);
      return;
    }
    const result = validate(body);
    if (!result.ok) {
      for (const e of result.errors) errors.push(`[${index}].${e.field}: ${e.message}`);
      return;
    }
    const draft = result.rule;
    const uuid = draft.uuid ?? derivedRuleUuid(draft);
    const first = seen.get(uuid);
    if (first !== undefined) {
      errors.push(
        draft.uuid
          ? `[${index}].uuid: ${uuid} is also the uuid of rule [${first}]`
          : `[${index}]: same derived uuid ${uuid} as rule [${first}] (same description, or same content); give one of them a uuid`,
      );
      return;
    }
    seen.set(uuid, index);
    rules.push({
      uuid,
      description: draft.description,
      scope: draft.scope,
      conditions: draft.conditions,
      actions: draft.actions,
    });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rules };
}

export interface RulesSyncPlan {
  /** The whole new stored rule list (API rules untouched and in place). */
  rules: SourcedRule[];
  created: string[];
  replaced: string[];
  deleted: string[];
  unchanged: number;
}

const contentOf = (r: Pick<RuleRecord, 'description' | 'scope' | 'conditions' | 'actions'>): string =>
  canonical({ description: r.description, scope: r.scope, conditions: r.conditions, actions: r.actions });

/**
 * The diff of the stored rules against the file's (pure). File rules form one block in the
 * file's order — rules run in stored order — placed where the first file rule was (appended when
 * there was none); unchanged rules keep their record (and created_at). A file uuid held by an
 * API-created rule is a conflict: nothing is planned.
 */
export function planRulesSync(
  stored: readonly RuleRecord[],
  wanted: readonly WantedRule[],
  now: string,
): { ok: true; plan: RulesSyncPlan } | { ok: false; errors: string[] } {
  const byUuid = new Map(stored.map((r) => [r.uuid, r]));
  const errors: string[] = [];
  for (const rule of wanted) {
    const existing = byUuid.get(rule.uuid);
    if (existing && !isFileRule(existing)) {
      errors.push(
        `rule ${rule.uuid} was created through the API; delete it there (DELETE /v1/rules/${rule.uuid}) or give the file's rule another uuid`,
      );
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const plan: RulesSyncPlan = { rules: [], created: [], replaced: [], deleted: [], unchanged: 0 };
  const block: SourcedRule[] = wanted.map((rule) => {
    const existing = byUuid.get(rule.uuid);
    if (existing && contentOf(existing) === contentOf(rule)) {
      plan.unchanged += 1;
      return existing;
    }
    (existing ? plan.replaced : plan.created).push(rule.uuid);
    return { ...rule, created_at: existing?.created_at ?? now, source: 'file' };
  });
  const wantedUuids = new Set(wanted.map((r) => r.uuid));
  let placed = false;
  for (const rule of stored) {
    if (!isFileRule(rule)) {
      plan.rules.push(rule);
      continue;
    }
    if (!wantedUuids.has(rule.uuid)) plan.deleted.push(rule.uuid);
    if (!placed) {
      plan.rules.push(...block);
      placed = true;
    }
  }
  if (!placed) plan.rules.push(...block);
  return { ok: true, plan };
}

export interface RulesFileResult {
  file: string;
  created: string[];
  replaced: string[];
  deleted: string[];
  unchanged: number;
}

export interface RulesFileDeps {
  store: StateStore;
  clock: Clock;
  events: EventSink;
}

/** Reads the file and applies the plan to the store (one durable write, only when it changes). */
export class RulesFileSync {
  constructor(private readonly deps: RulesFileDeps) {}

  /**
   * Throws ERR_RULES_FILE_INVALID (nothing changed) when the file cannot be read, does not
   * validate or conflicts with an API rule; the message lists every problem.
   */
  async sync(file: string): Promise<RulesFileResult> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new AppError(
        'ERR_RULES_FILE_INVALID',
        `[rules] rules_file ${file}: cannot read it: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
    const parsed = parseRulesFile(text);
    const planned = parsed.ok
      ? planRulesSync(this.deps.store.doc.rules, parsed.rules, new Date(this.deps.clock.now()).toISOString())
      : parsed;
    if (!planned.ok) {
      throw new AppError(
        'ERR_RULES_FILE_INVALID',
        `[rules] rules_file ${file}: ${planned.errors.join('; ')}`,
        {
          errors: planned.errors,
        },
      );
    }
    const { plan } = planned;
    const result: RulesFileResult = {
      file,
      created: plan.created,
      replaced: plan.replaced,
      deleted: plan.deleted,
      unchanged: plan.unchanged,
    };
    const changes = plan.created.length + plan.replaced.length + plan.deleted.length;
    const order = (rules: readonly RuleRecord[]): string => rules.map((r) => r.uuid).join(',');
    if (changes === 0 && order(plan.rules) === order(this.deps.store.doc.rules)) return result;
    this.deps.store.doc.rules = plan.rules;
    await this.deps.store.changed({ durable: true });
    this.deps.events.emit({
      type: 'rule.file_synced',
      message:
        `rules file ${file} applied: ${plan.created.length} created, ${plan.replaced.length} replaced, ` +
        `${plan.deleted.length} deleted, ${plan.unchanged} unchanged`,
      data: { ...result },
    });
    return result;
  }
}

/**
 * The API's rule book with file-sourced rules protected while a rules file is configured:
 * DELETE /v1/rules/<uuid> of one is refused (409, edit the file instead), DELETE /v1/rules
 * removes only the API-created rules.
 */
export class FileAwareRuleBook extends RuleBook {
  constructor(
    private readonly owned: {
      store: StateStore;
      clock: Clock;
      validate: RuleValidator;
      rulesFile: () => string;
    },
  ) {
    super(owned);
  }

  override async delete(uuid: string): Promise<void> {
    const rule = this.get(uuid);
    const file = this.owned.rulesFile();
    if (file !== '' && isFileRule(rule)) {
      throw new AppError(
        'ERR_RULE_FILE_MANAGED',
        `Rule ${rule.uuid} comes from the rules file ${file}; remove it from the file and reload (SIGHUP)`,
      );
    }
    await super.delete(uuid);
  }

  override async deleteAll(): Promise<void> {
    // With rules_file off nothing manages the file's former rules: they go like any other.
    if (this.owned.rulesFile() === '') return super.deleteAll();
    this.owned.store.doc.rules = this.owned.store.doc.rules.filter(isFileRule);
    await this.owned.store.changed({ durable: true });
  }
}
