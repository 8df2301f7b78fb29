// Introspection rules storage (CRUD over the state document), in creation order. Validation of
// the rule body is injected (src/rules owns the rule language).
import { randomUUID } from 'node:crypto';
import { AppError } from './errors.js';
import type { Clock } from './clock.js';
import type { RuleRecord } from './introspection-record.js';
import type { StateStore } from './ports.js';

export type RuleValidator = (
  body: unknown,
) =>
  | { ok: true; rule: Omit<RuleRecord, 'uuid' | 'created_at'> & { uuid?: string | null } }
  | { ok: false; errors: Array<{ field: string; message: string }> };

export class RuleBook {
  constructor(private readonly deps: { store: StateStore; clock: Clock; validate: RuleValidator }) {}

  list(): RuleRecord[] {
    return this.deps.store.doc.rules;
  }

  get(uuid: string): RuleRecord {
    const rule = this.deps.store.doc.rules.find((r) => r.uuid === uuid.toLowerCase());
    if (!rule) throw new AppError('ERR_RULE_NOT_FOUND', `Rule ${uuid} was not found`);
    return rule;
  }

  check(body: unknown): Omit<RuleRecord, 'uuid' | 'created_at'> & { uuid?: string | null } {
    const result = this.deps.validate(body);
    if (!result.ok) {
      throw new AppError(
        'ERR_RULE_INVALID',
        `Invalid rule: ${result.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
        { errors: result.errors },
      );
    }
    return result.rule;
  }

  async create(body: unknown): Promise<RuleRecord> {
    const valid = this.check(body);
    const uuid = (valid.uuid ?? randomUUID()).toLowerCase();
    if (this.deps.store.doc.rules.some((r) => r.uuid === uuid)) {
      throw new AppError('ERR_RULE_EXISTS', `Rule with UUID ${uuid} already exists`);
    }
    const rule: RuleRecord = {
      uuid,
      description: valid.description ?? null,
      scope: valid.scope ?? null,
      conditions: valid.conditions,
      actions: valid.actions,
      created_at: new Date(this.deps.clock.now()).toISOString(),
    };
    this.deps.store.doc.rules.push(rule);
    await this.deps.store.changed({ durable: true });
    return rule;
  }

  async delete(uuid: string): Promise<void> {
    const rule = this.get(uuid);
    this.deps.store.doc.rules = this.deps.store.doc.rules.filter((r) => r !== rule);
    await this.deps.store.changed({ durable: true });
  }

  async deleteAll(): Promise<void> {
    this.deps.store.doc.rules = [];
    await this.deps.store.changed({ durable: true });
  }
}
