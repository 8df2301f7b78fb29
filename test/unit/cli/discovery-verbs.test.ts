// rule test / rule apply, review list|show|resolve and node drift against a fake API.
import test from 'ava';
import { describeChange } from '../../../src/cli/commands/rule-replay.js';
import { FakeApi, NODE_UUID, cli, tempFile } from './fake-api.js';

const REVIEW_ID = '5f5f5f5f-0000-4000-8000-000000000001';
const report = {
  nodes: [
    {
      uuid: NODE_UUID,
      name: 'n1',
      evaluated: true,
      rules: [{ uuid: 'dry-run-1', matched: true }],
      changes: [
        { path: '/traits', op: 'add', after: 'CUSTOM_X' },
        { path: '/properties/capabilities', op: 'set', before: 'a:1', after: 'a:1,b:2' },
      ],
    },
    { uuid: 'u2', name: 'n2', evaluated: false, reason: 'no processed introspection data is stored' },
  ],
};

const changeCases: Array<[Record<string, unknown>, string]> = [
  [{ path: '/traits', op: 'add', after: 'T' }, 'add /traits "T"'],
  [{ path: '/traits', op: 'remove', before: 'T' }, 'remove /traits "T"'],
  [{ path: '/properties/x', op: 'set', before: 1, after: 2 }, 'set /properties/x 1 → 2'],
];
for (const [change, text] of changeCases) {
  test(`describeChange: ${text}`, (t) => {
    t.is(describeChange(change as never), text);
  });
}

test('rule test posts the file rules and nodes to /v1/rules/dry-run and prints the changes', async (t) => {
  const file = await tempFile(
    t,
    'r.yaml',
    'conditions: []\nactions: [{action: add-trait, name: CUSTOM_X}]\n',
  );
  const fake = await new FakeApi().on('POST /v1/rules/dry-run', { body: report }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['rule', 'test', file, '--node', 'n1', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(fake.requests[0]!.body), {
    rules: [{ conditions: [], actions: [{ action: 'add-trait', name: 'CUSTOM_X' }] }],
    nodes: ['n1'],
  });
  t.regex(r.stdout, /n1 +\| dry-run-1 +\| add \/traits "CUSTOM_X"/);
  t.regex(r.stdout, /set \/properties\/capabilities "a:1" → "a:1,b:2"/);
  t.regex(r.stdout, /n2 .*skipped: no processed/);
});

test('rule apply without --node posts an empty object; a failed node exits 1', async (t) => {
  const failed = { nodes: [{ uuid: NODE_UUID, name: 'n1', evaluated: true, failed: 'boom', changes: [] }] };
  const fake = await new FakeApi().on('POST /v1/rules/apply', { body: failed }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['rule', 'apply', '--url', fake.url]);
  t.is(r.code, 1);
  t.is(fake.requests[0]!.body, '{}');
  t.regex(r.stdout, /FAILED: boom/);
});

test('review list prints id, candidates and reason', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/review', {
      body: {
        review: [
          { id: REVIEW_ID, created_at: 'now', reason: 'serial of A, BMC of B', candidates: ['a', 'b'] },
        ],
      },
    })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['review', 'list', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`${REVIEW_ID} .*a, b .*serial of A, BMC of B`));
});

const resolveCases: Array<[string, string[], unknown, number]> = [
  ['--node merges', ['--node', NODE_UUID], { node: NODE_UUID }, 0],
  ['--discard discards', ['--discard'], { action: 'discard' }, 0],
];
for (const [title, args, body, code] of resolveCases) {
  test(`review resolve ${title}`, async (t) => {
    const fake = await new FakeApi()
      .on(`POST /v1/review/${REVIEW_ID}/resolve`, {
        body: { id: REVIEW_ID, action: 'merged', node: NODE_UUID },
      })
      .start();
    t.teardown(() => fake.stop());
    const r = await cli(['review', 'resolve', REVIEW_ID, ...args, '--url', fake.url]);
    t.is(r.code, code, r.stderr);
    t.deepEqual(JSON.parse(fake.requests[0]!.body), body);
  });
}

test('review resolve needs exactly one of --node and --discard', async (t) => {
  const r = await cli(['review', 'resolve', REVIEW_ID, '--url', 'http://127.0.0.1:9']);
  t.is(r.code, 2);
  t.regex(r.stderr, /exactly one of --node NODE .* or --discard/);
});

test('node drift reads node.drift events and prints one row per change', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/events', {
      body: {
        events: [
          {
            ts: '2026-11-21T10:00:00.000Z',
            type: 'node.drift',
            message: 'x',
            data: {
              changes: [
                { area: 'memory', change: 'changed', message: 'memory (MiB) 8192 → 16384' },
                { area: 'disk', change: 'added', message: 'disk /dev/sdb (S3), 960 GiB added' },
              ],
            },
          },
        ],
      },
    })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['node', 'drift', 'n1', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.requests[0]!.query, { node: 'n1', type: 'node.drift' });
  t.regex(r.stdout, /memory +\| changed +\| memory \(MiB\) 8192 → 16384/);
  t.regex(r.stdout, /disk +\| added/);
});
