// [rules] rules_file (src/rules-file.ts): parsing, uuid derivation, the diff against the stored
// rules, the sync into the store and the API's protection of file rules.
import test, { type ExecutionContext } from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAppError } from '../../../src/core/errors.js';
import type { RuleRecord } from '../../../src/core/introspection-record.js';
import type { EventInput } from '../../../src/core/events.js';
import { validateRule } from '../../../src/rules/validate.js';
import {
  FileAwareRuleBook,
  RulesFileSync,
  derivedRuleUuid,
  isFileRule,
  parseRulesFile,
  planRulesSync,
  type WantedRule,
} from '../../../src/rules-file.js';
import { FakeClock } from '../../helpers/core-env.js';
import { MemoryStateStore } from '../../helpers/memory.js';

const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';
const NOW = '2026-01-01T00:00:00.000Z';

const body = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  description: 'set memory',
  conditions: [{ op: 'eq', field: 'data://inventory.memory.physical_mb', value: 1024 }],
  actions: [{ action: 'set-attribute', path: '/extra/small', value: true }],
  ...over,
});

function wanted(over: Record<string, unknown> = {}): WantedRule {
  const parsed = parseRulesFile(JSON.stringify([body(over)]));
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.rules[0]!;
}

function stored(rule: WantedRule, source?: 'file'): RuleRecord {
  return { ...rule, created_at: '2025-01-01T00:00:00.000Z', ...(source ? { source } : {}) } as RuleRecord;
}

const validate = (b: unknown) => {
  const r = validateRule(b);
  return r.ok ? { ok: true as const, rule: r.rule } : { ok: false as const, errors: r.errors };
};

test('parse: a rule without uuid gets one derived from its description', (t) => {
  const rule = wanted();
  t.is(rule.uuid, derivedRuleUuid({ description: 'set memory', scope: null, conditions: [], actions: [] }));
  t.regex(rule.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('parse: editing the actions of a described rule keeps its derived uuid', (t) => {
  const a = wanted();
  const b = wanted({ actions: [{ action: 'set-attribute', path: '/extra/small', value: false }] });
  t.is(a.uuid, b.uuid);
});

test('parse: a rule without description gets a uuid from its content', (t) => {
  const a = wanted({ description: null });
  const b = wanted({ description: null, actions: [{ action: 'fail', message: 'no' }] });
  t.not(a.uuid, b.uuid);
  t.is(a.uuid, wanted({ description: null }).uuid);
});

test('parse: a given uuid is kept (normalised)', (t) => {
  t.is(wanted({ uuid: U1.toUpperCase() }).uuid, U1);
});

test('parse: every invalid rule is reported with its index and field', (t) => {
  const parsed = parseRulesFile(JSON.stringify([body(), body({ description: 'x', actions: [] }), 3]));
  t.false(parsed.ok);
  if (parsed.ok) return;
  t.true(parsed.errors.some((e) => e.startsWith('[1].actions')));
  t.true(parsed.errors.includes('[2]: a rule must be a JSON object'));
});

test('parse: not JSON, not an array and duplicate uuids are refused', (t) => {
  t.false(parseRulesFile('{').ok);
  t.deepEqual(parseRulesFile('{}'), {
    ok: false,
    errors: ['must be a JSON array of rules (POST /v1/rules bodies)'],
  });
  const dup = parseRulesFile(JSON.stringify([body(), body()]));
  t.false(dup.ok);
  if (!dup.ok) t.regex(dup.errors[0] ?? '', /^\[1\]: same derived uuid .* as rule \[0\]/);
});

test('plan: new file rules are created after the API rules and marked', (t) => {
  const api = stored(wanted({ uuid: U2, description: 'api' }));
  const result = planRulesSync([api], [wanted({ uuid: U1 })], NOW);
  if (!result.ok) return t.fail(result.errors.join());
  t.deepEqual(result.plan.created, [U1]);
  t.deepEqual(
    result.plan.rules.map((r) => [r.uuid, isFileRule(r)]),
    [
      [U2, false],
      [U1, true],
    ],
  );
  t.is(result.plan.rules[1]?.created_at, NOW);
});

test('plan: a changed file rule is replaced in place, an unchanged one keeps its record', (t) => {
  const keep = stored(wanted({ uuid: U1 }), 'file');
  const old = stored(wanted({ uuid: U2, description: 'two' }), 'file');
  const next = wanted({ uuid: U2, description: 'two', actions: [{ action: 'fail', message: 'x' }] });
  const result = planRulesSync([keep, old], [wanted({ uuid: U1 }), next], NOW);
  if (!result.ok) return t.fail(result.errors.join());
  t.deepEqual(result.plan.replaced, [U2]);
  t.is(result.plan.unchanged, 1);
  t.is(result.plan.rules[0], keep);
  t.deepEqual(result.plan.rules[1]?.actions, [{ action: 'fail', message: 'x' }]);
  t.is(result.plan.rules[1]?.created_at, old.created_at);
});

test('plan: file rules missing from the file are deleted, API rules never', (t) => {
  const api = stored(wanted({ uuid: U2, description: 'api' }));
  const gone = stored(wanted({ uuid: U1 }), 'file');
  const result = planRulesSync([gone, api], [], NOW);
  if (!result.ok) return t.fail(result.errors.join());
  t.deepEqual(result.plan.deleted, [U1]);
  t.deepEqual(
    result.plan.rules.map((r) => r.uuid),
    [U2],
  );
});

test('plan: file rules follow the order of the file, as one block where the first one was', (t) => {
  const a = stored(wanted({ uuid: U1 }), 'file');
  const api = stored(wanted({ uuid: '33333333-3333-4333-8333-333333333333', description: 'api' }));
  const b = stored(wanted({ uuid: U2, description: 'two' }), 'file');
  const result = planRulesSync(
    [a, api, b],
    [wanted({ uuid: U2, description: 'two' }), wanted({ uuid: U1 })],
    NOW,
  );
  if (!result.ok) return t.fail(result.errors.join());
  t.deepEqual(
    result.plan.rules.map((r) => r.uuid),
    [U2, U1, api.uuid],
  );
});

test('plan: a file uuid held by an API rule is a conflict and plans nothing', (t) => {
  const api = stored(wanted({ uuid: U1, description: 'api' }));
  const result = planRulesSync([api], [wanted({ uuid: U1 })], NOW);
  t.false(result.ok);
  if (!result.ok) t.regex(result.errors[0] ?? '', /created through the API/);
});

async function fileWorld(t: ExecutionContext) {
  const dir = await mkdtemp(join(tmpdir(), 'rules-file-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = new MemoryStateStore();
  const clock = new FakeClock();
  const events: EventInput[] = [];
  const path = join(dir, 'rules.json');
  let configured = path;
  const sync = new RulesFileSync({ store, clock, events: { emit: (e) => void events.push(e) } });
  const book = new FileAwareRuleBook({ store, clock, validate, rulesFile: () => configured });
  return {
    store,
    events,
    path,
    sync,
    book,
    write: (rules: unknown[]) => writeFile(path, JSON.stringify(rules)),
    switchOff: () => {
      configured = '';
    },
  };
}

test('sync: applies the file to the store durably and reports it once', async (t) => {
  const w = await fileWorld(t);
  await w.book.create(body({ uuid: U2, description: 'api' }));
  await w.write([body({ uuid: U1 })]);
  const first = await w.sync.sync(w.path);
  t.deepEqual(first.created, [U1]);
  t.deepEqual(
    w.store.doc.rules.map((r) => r.uuid),
    [U2, U1],
  );
  t.is(w.events.length, 1);
  t.is(w.events[0]?.type, 'rule.file_synced');
  const writes = w.store.durableWrites;
  const again = await w.sync.sync(w.path);
  t.is(again.unchanged, 1);
  t.is(w.store.durableWrites, writes, 'an unchanged file writes nothing');
  t.is(w.events.length, 1);
});

test('sync: an invalid file throws ERR_RULES_FILE_INVALID and changes nothing', async (t) => {
  const w = await fileWorld(t);
  await w.write([body({ uuid: U1 })]);
  await w.sync.sync(w.path);
  const before = JSON.stringify(w.store.doc.rules);
  await w.write([body({ uuid: U1, conditions: [{ op: 'no-such-op', field: 'x' }] })]);
  const error = await t.throwsAsync(w.sync.sync(w.path));
  t.true(isAppError(error) && error.code === 'ERR_RULES_FILE_INVALID');
  t.regex(error?.message ?? '', /\[0\]\.conditions\[0\]\.op/);
  t.is(JSON.stringify(w.store.doc.rules), before);
});

test('sync: a missing file throws ERR_RULES_FILE_INVALID', async (t) => {
  const w = await fileWorld(t);
  const error = await t.throwsAsync(w.sync.sync(w.path));
  t.true(isAppError(error) && error.code === 'ERR_RULES_FILE_INVALID');
  t.regex(error?.message ?? '', /cannot read it: ENOENT/);
});

test('API: deleting a file rule is refused with 409 ERR_RULE_FILE_MANAGED', async (t) => {
  const w = await fileWorld(t);
  await w.write([body({ uuid: U1 })]);
  await w.sync.sync(w.path);
  const error = await t.throwsAsync(w.book.delete(U1));
  t.true(isAppError(error) && error.code === 'ERR_RULE_FILE_MANAGED' && error.status === 409);
  t.regex(error?.message ?? '', /remove it from the file and reload/);
});

test('API: deleting all rules keeps the file rules', async (t) => {
  const w = await fileWorld(t);
  await w.book.create(body({ uuid: U2, description: 'api' }));
  await w.write([body({ uuid: U1 })]);
  await w.sync.sync(w.path);
  await w.book.deleteAll();
  t.deepEqual(
    w.store.doc.rules.map((r) => r.uuid),
    [U1],
  );
});

test('API: with rules_file off the former file rules can be deleted', async (t) => {
  const w = await fileWorld(t);
  await w.write([body({ uuid: U1 })]);
  await w.sync.sync(w.path);
  w.switchOff();
  await w.book.delete(U1);
  t.deepEqual(w.store.doc.rules, []);
});
