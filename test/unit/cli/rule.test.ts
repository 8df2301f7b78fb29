// rule import (JSON/YAML, one rule or a list), list, show, delete, purge.
import test from 'ava';
import { parseRulesFile } from '../../../src/cli/commands/rule.js';
import { FakeApi, RULE_UUID, cli, tempFile, type Handler } from './fake-api.js';

const RULE_A = {
  description: 'set memory',
  conditions: [{ op: 'ge', field: 'memory_mb', value: 1024 }],
  actions: [{ action: 'set-attribute', path: '/extra/big', value: true }],
};
const RULE_B = {
  uuid: RULE_UUID,
  description: 'fail small',
  scope: 'lab',
  conditions: [],
  actions: [{ action: 'fail', message: 'too small' }],
};

/** POST /v1/rules echoes the rule back with a uuid and links, as the API does (201). */
function createRule(): Handler {
  let n = 0;
  return (request) => {
    const rule = JSON.parse(request.body) as Record<string, unknown>;
    const uuid = (rule.uuid as string | undefined) ?? `00000000-0000-4000-8000-00000000000${++n}`;
    return {
      status: 201,
      body: { uuid, scope: null, ...rule, links: [{ href: `/v1/rules/${uuid}`, rel: 'self' }] },
    };
  };
}

const IMPORT_CASES: Array<[string, string, string, unknown[]]> = [
  ['one JSON rule', 'rule.json', JSON.stringify(RULE_A), [RULE_A]],
  ['a JSON list', 'rules.json', JSON.stringify([RULE_A, RULE_B]), [RULE_A, RULE_B]],
  [
    'one YAML rule',
    'rule.yaml',
    'description: set memory\nconditions:\n  - {op: ge, field: memory_mb, value: 1024}\nactions:\n  - action: set-attribute\n    path: /extra/big\n    value: true\n',
    [RULE_A],
  ],
  [
    'a YAML list',
    'rules.yml',
    `- description: set memory\n  conditions: [{op: ge, field: memory_mb, value: 1024}]\n  actions: [{action: set-attribute, path: /extra/big, value: true}]\n- uuid: ${RULE_UUID}\n  description: fail small\n  scope: lab\n  conditions: []\n  actions: [{action: fail, message: too small}]\n`,
    [RULE_A, RULE_B],
  ],
];

for (const [title, name, text, expected] of IMPORT_CASES) {
  test(`rule import of ${title} posts each rule exactly as written`, async (t) => {
    const fake = await new FakeApi().on('POST /v1/rules', createRule()).start();
    t.teardown(() => fake.stop());
    const file = await tempFile(t, name, text);
    const r = await cli(['rule', 'import', file, '--url', fake.url]);
    t.is(r.code, 0, r.stderr);
    t.deepEqual(
      fake.requests.map((q) => [q.method, q.path, JSON.parse(q.body)]),
      expected.map((rule) => ['POST', '/v1/rules', rule]),
    );
    for (const rule of expected)
      t.regex(r.stdout, new RegExp(`\\| ${(rule as { description: string }).description} +\\|`));
  });
}

test('rule import prints uuid and description of each created rule', async (t) => {
  const fake = await new FakeApi().on('POST /v1/rules', createRule()).start();
  t.teardown(() => fake.stop());
  const file = await tempFile(t, 'r.json', JSON.stringify(RULE_B));
  const r = await cli(['rule', 'import', file, '--url', fake.url]);
  t.is(
    r.stdout,
    [
      '+--------------------------------------+-------------+',
      '| UUID                                 | Description |',
      '+--------------------------------------+-------------+',
      `| ${RULE_UUID} | fail small  |`,
      '+--------------------------------------+-------------+',
      '',
    ].join('\n'),
  );
});

test('rule import stops at the first refused rule, shows what was created and exits 1', async (t) => {
  let calls = 0;
  const create = createRule();
  const fake = await new FakeApi()
    .on('POST /v1/rules', (request, res) =>
      ++calls === 2
        ? { status: 400, body: { error: { message: 'Invalid rule: unknown action "explode"' } } }
        : create(request, res),
    )
    .start();
  t.teardown(() => fake.stop());
  const file = await tempFile(t, 'r.json', JSON.stringify([RULE_A, RULE_A, RULE_A]));
  const r = await cli(['rule', 'import', file, '--format', 'json', '--url', fake.url]);
  t.is(r.code, 1);
  t.is(fake.requests.length, 2);
  t.is((JSON.parse(r.stdout) as unknown[]).length, 1);
  t.is(r.stderr, 'error: Invalid rule: unknown action "explode"\n');
});

test('rule import of a file that is not a rule is a usage error', async (t) => {
  const fake = await new FakeApi().start();
  t.teardown(() => fake.stop());
  const file = await tempFile(t, 'r.yaml', '- just a string\n');
  const r = await cli(['rule', 'import', file, '--url', fake.url]);
  t.is(r.code, 2);
  t.regex(r.stderr, /rule 1 is not an object/);
  t.is(fake.requests.length, 0);
});

test('rule import of a missing file is a usage error', async (t) => {
  const r = await cli(['rule', 'import', '/nonexistent/rules.json']);
  t.is(r.code, 2);
  t.regex(r.stderr, /cannot read \/nonexistent\/rules\.json/);
});

test('parseRulesFile rejects invalid YAML with the file name', (t) => {
  const error = t.throws(() => parseRulesFile('a: [1, 2', 'x.yaml'));
  t.regex(error.message, /^x\.yaml is neither valid JSON nor valid YAML/);
});

test('parseRulesFile rejects an empty list', (t) => {
  t.throws(() => parseRulesFile('[]', 'x.json'), { message: 'x.json holds no rules' });
});

test('rule list prints uuid, description and scope', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/rules', {
      body: { rules: [{ uuid: RULE_UUID, description: 'fail small', scope: 'lab', links: [] }] },
    })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['rule', 'list', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`\\| ${RULE_UUID} \\| fail small  \\| lab   \\|`));
});

test('rule list --format json prints the API JSON', async (t) => {
  const body = { rules: [{ uuid: RULE_UUID, description: null, scope: null, links: [] }] };
  const fake = await new FakeApi().on('GET /v1/rules', { body }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['rule', 'list', '--format', 'json', '--url', fake.url]);
  t.deepEqual(JSON.parse(r.stdout), body);
});

test('rule show prints the rule without links', async (t) => {
  const fake = await new FakeApi()
    .on(`GET /v1/rules/${RULE_UUID}`, { body: { ...RULE_B, links: [{ href: 'x', rel: 'self' }] } })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['rule', 'show', RULE_UUID, '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /\| actions +\| \[\{"action":"fail","message":"too small"\}\] \|/);
  t.regex(r.stdout, /\| scope +\| lab/);
  t.false(r.stdout.includes('links'));
});

test('rule delete deletes one rule', async (t) => {
  const fake = await new FakeApi().on(`DELETE /v1/rules/${RULE_UUID}`, { status: 204 }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['rule', 'delete', RULE_UUID, '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.lines(), [`DELETE /v1/rules/${RULE_UUID}`]);
});

test('rule delete of an unknown rule exits 1', async (t) => {
  const fake = await new FakeApi()
    .on(`DELETE /v1/rules/${RULE_UUID}`, {
      status: 404,
      body: { error: { message: `Rule ${RULE_UUID} was not found` } },
    })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['rule', 'delete', RULE_UUID, '--url', fake.url]);
  t.is(r.code, 1);
  t.is(r.stderr, `error: Rule ${RULE_UUID} was not found\n`);
});

test('rule purge deletes all rules', async (t) => {
  const fake = await new FakeApi().on('DELETE /v1/rules', { status: 204 }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['rule', 'purge', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.lines(), ['DELETE /v1/rules']);
});

test('rule without a subcommand is a usage error', async (t) => {
  const r = await cli(['rule']);
  t.is(r.code, 2);
});
