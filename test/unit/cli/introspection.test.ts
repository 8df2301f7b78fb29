// introspect/start (with --wait progress, exit codes, timeout), status, list, abort, reprocess and
// data save against a recording fake API.
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FakeApi,
  NODE2_UUID,
  NODE_UUID,
  cli,
  statusBody,
  tempDir,
  tempFile,
  type Handler,
  type Reply,
} from './fake-api.js';

/** Each call answers the next reply; the last one repeats. */
function sequence(replies: Reply[]): Handler {
  let i = 0;
  return () => replies[Math.min(i++, replies.length - 1)];
}

function event(seq: number, type: string, message: string, mac?: string): Record<string, unknown> {
  return {
    seq,
    ts: `2024-01-01T10:00:0${seq}.000Z`,
    type,
    level: 'info',
    node: NODE_UUID,
    message,
    ...(mac ? { mac } : {}),
  };
}

test('introspect posts one start per node and prints nothing without --wait', async (t) => {
  const fake = await new FakeApi()
    .on('POST /v1/introspection/node-1', { status: 202, body: {} })
    .on('POST /v1/introspection/node-2', { status: 202, body: {} })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['introspect', 'node-1', 'node-2', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.lines(), ['POST /v1/introspection/node-1', 'POST /v1/introspection/node-2']);
  t.is(fake.requests[0]!.body, '');
  t.is(r.stdout, '');
});

test('start is an alias of introspect', async (t) => {
  const fake = await new FakeApi().on('POST /v1/introspection/node-1', { status: 202, body: {} }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['start', 'node-1', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.lines(), ['POST /v1/introspection/node-1']);
});

test('introspect sends manage_boot and the legacy new_ipmi_* parameters', async (t) => {
  const fake = await new FakeApi().on('POST /v1/introspection/node-1', { status: 202, body: {} }).start();
  t.teardown(() => fake.stop());
  const r = await cli([
    'introspect',
    'node-1',
    '--manage-boot',
    'false',
    '--new-ipmi-username',
    'root',
    '--new-ipmi-password',
    'pw',
    '--url',
    fake.url,
  ]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.requests[0]!.query, {
    manage_boot: 'false',
    new_ipmi_username: 'root',
    new_ipmi_password: 'pw',
  });
  t.false((r.stdout + r.stderr).includes('pw'));
});

test('introspect rejects a non-boolean --manage-boot', async (t) => {
  const r = await cli(['introspect', 'node-1', '--manage-boot', 'maybe']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--manage-boot must be true or false/);
});

test('node names with reserved characters are escaped in the path', async (t) => {
  const fake = await new FakeApi().on('POST /v1/introspection/a%20b', { status: 202, body: {} }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['introspect', 'a b', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.lines(), ['POST /v1/introspection/a%20b']);
});

test('introspect exits 1 when a start is refused but still starts the other nodes', async (t) => {
  const fake = await new FakeApi()
    .on('POST /v1/introspection/bad', {
      status: 400,
      body: { error: { message: 'Invalid provision state "active"' } },
    })
    .on('POST /v1/introspection/good', { status: 202, body: {} })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['introspect', 'bad', 'good', '--url', fake.url]);
  t.is(r.code, 1);
  t.is(r.stderr, 'error: bad: Invalid provision state "active"\n');
  t.deepEqual(fake.lines(), ['POST /v1/introspection/bad', 'POST /v1/introspection/good']);
});

/** A node whose timeline grows as its status is polled, like a real boot. */
function waitingApi(final: Record<string, unknown>): Promise<FakeApi> {
  // Old history (seq 5) exists before the start; each status poll reveals one more event.
  const visible = [event(5, 'introspection.finished', 'an earlier run')];
  const upcoming = [
    event(6, 'dhcp.offer', 'offered 198.18.0.10 (known node)', '52:54:00:00:00:01'),
    event(7, 'callback.received', 'ramdisk data received', '52:54:00:00:00:01'),
    event(8, final.error ? 'introspection.error' : 'introspection.finished', 'introspection ended'),
  ];
  const statuses = sequence([
    { body: statusBody({ state: 'waiting' }) },
    { body: statusBody({ state: 'processing' }) },
    { body: statusBody({ finished: true, finished_at: '2024-01-01T10:05:00.000', ...final }) },
  ]);
  return new FakeApi()
    .on('GET /v1/events', (request) => ({
      body: { events: visible.filter((e) => (e.seq as number) > Number(request.query.after ?? 0)) },
    }))
    .on('POST /v1/introspection/node-1', { status: 202, body: {} })
    .on('GET /v1/introspection/node-1', (request, res) => {
      const next = upcoming.shift();
      if (next) visible.push(next);
      return statuses(request, res);
    })
    .start();
}

test('introspect --wait shows state changes and new timeline events, then a summary; exit 0', async (t) => {
  const fake = await waitingApi({ state: 'finished', error: null });
  t.teardown(() => fake.stop());
  const r = await cli(['introspect', 'node-1', '--wait', '--poll-interval', '0.01', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.is(
    r.stdout,
    [
      '2024-01-01T10:00:06.000Z dhcp.offer 52:54:00:00:00:01 offered 198.18.0.10 (known node)',
      'node-1: waiting',
      '2024-01-01T10:00:07.000Z callback.received 52:54:00:00:00:01 ramdisk data received',
      'node-1: processing',
      '2024-01-01T10:00:08.000Z introspection.finished introspection ended',
      'node-1: finished',
      '+--------------------------------------+-------+',
      '| UUID                                 | Error |',
      '+--------------------------------------+-------+',
      `| ${NODE_UUID} | None  |`,
      '+--------------------------------------+-------+',
      '',
    ].join('\n'),
  );
  t.deepEqual(fake.lines(), [
    'GET /v1/events?node=node-1',
    'GET /v1/events?node=node-1&after=5',
    'POST /v1/introspection/node-1',
    'GET /v1/introspection/node-1',
    `GET /v1/events?node=${NODE_UUID}&after=5`,
    'GET /v1/introspection/node-1',
    `GET /v1/events?node=${NODE_UUID}&after=6`,
    'GET /v1/introspection/node-1',
    `GET /v1/events?node=${NODE_UUID}&after=7`,
  ]);
});

test('introspect --wait prints the error and exits 1 when introspection finished with an error', async (t) => {
  const fake = await waitingApi({ state: 'error', error: 'Ramdisk reported error: disk on fire' });
  t.teardown(() => fake.stop());
  const r = await cli(['introspect', 'node-1', '--wait', '--poll-interval', '0.01', '--url', fake.url]);
  t.is(r.code, 1);
  t.regex(r.stdout, /node-1: finished with error: Ramdisk reported error: disk on fire\n/);
  t.regex(r.stdout, new RegExp(`\\| ${NODE_UUID} \\| Ramdisk reported error: disk on fire \\|`));
});

test('introspect --wait --check-errors also exits 1 on an error', async (t) => {
  const fake = await waitingApi({ state: 'error', error: 'Introspection timeout' });
  t.teardown(() => fake.stop());
  const r = await cli([
    'introspect',
    'node-1',
    '--wait',
    '--check-errors',
    '--poll-interval',
    '0.01',
    '--url',
    fake.url,
  ]);
  t.is(r.code, 1);
});

test('introspect --wait --format json prints final statuses on stdout and progress on stderr', async (t) => {
  const fake = await waitingApi({ state: 'finished', error: null });
  t.teardown(() => fake.stop());
  const r = await cli([
    'introspect',
    'node-1',
    '--wait',
    '--poll-interval',
    '0.01',
    '--format',
    'json',
    '--url',
    fake.url,
  ]);
  t.is(r.code, 0, r.stderr);
  const statuses = JSON.parse(r.stdout) as Record<string, unknown>[];
  t.is(statuses.length, 1);
  t.like(statuses[0], { uuid: NODE_UUID, finished: true, state: 'finished', error: null });
  t.regex(r.stderr, /node-1: processing\n/);
});

test('introspect --wait keeps waiting while reapplying even though finished is true', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/events', { body: { events: [] } })
    .on('POST /v1/introspection/node-1', { status: 202, body: {} })
    .on(
      'GET /v1/introspection/node-1',
      sequence([
        { body: statusBody({ finished: true, state: 'reapplying', finished_at: '2024-01-01T10:00:00' }) },
        { body: statusBody({ finished: true, state: 'finished', finished_at: '2024-01-01T10:01:00' }) },
      ]),
    )
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['introspect', 'node-1', '--wait', '--poll-interval', '0.01', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^node-1: reapplying\nnode-1: finished\n/);
});

test('introspect --wait waits for every node', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/events', { body: { events: [] } })
    .on('POST /v1/introspection/n1', { status: 202, body: {} })
    .on('POST /v1/introspection/n2', { status: 202, body: {} })
    .on('GET /v1/introspection/n1', { body: statusBody({ finished: true, state: 'finished' }) })
    .on(
      'GET /v1/introspection/n2',
      sequence([
        { body: statusBody({ uuid: NODE2_UUID, state: 'waiting' }) },
        { body: statusBody({ uuid: NODE2_UUID, finished: true, state: 'finished' }) },
      ]),
    )
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['introspect', 'n1', 'n2', '--wait', '--poll-interval', '0.01', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.is(fake.lines().filter((l) => l === 'GET /v1/introspection/n1').length, 1);
  t.is(fake.lines().filter((l) => l === 'GET /v1/introspection/n2').length, 2);
  t.regex(r.stdout, new RegExp(`${NODE_UUID}[\\s\\S]*${NODE2_UUID}`));
});

test('introspect --wait --timeout exits 124 naming the nodes still running', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/events', { body: { events: [] } })
    .on('POST /v1/introspection/node-1', { status: 202, body: {} })
    .on('GET /v1/introspection/node-1', { body: statusBody({ state: 'waiting' }) })
    .start();
  t.teardown(() => fake.stop());
  const started = Date.now();
  const r = await cli([
    'introspect',
    'node-1',
    '--wait',
    '--timeout',
    '0.3',
    '--poll-interval',
    '0.05',
    '--url',
    fake.url,
  ]);
  t.is(r.code, 124);
  t.true(Date.now() - started >= 300);
  t.is(r.stderr, 'error: timed out waiting for introspection of node-1\n');
  t.is(r.stdout, 'node-1: waiting\n');
});

test('introspect --wait ends with 130 when interrupted', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/events', { body: { events: [] } })
    .on('POST /v1/introspection/node-1', { status: 202, body: {} })
    .on('GET /v1/introspection/node-1', { body: statusBody({ state: 'waiting' }) })
    .start();
  t.teardown(() => fake.stop());
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  const r = await cli(['introspect', 'node-1', '--wait', '--poll-interval', '0.05', '--url', fake.url], {
    signal: controller.signal,
  });
  t.is(r.code, 130);
  t.is(r.stderr, 'error: interrupted\n');
});

test('introspect --wait does not wait for nodes that failed to start', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/events', { body: { events: [] } })
    .on('POST /v1/introspection/bad', { status: 404, body: { error: { message: 'Node bad was not found' } } })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['introspect', 'bad', '--wait', '--poll-interval', '0.01', '--url', fake.url]);
  t.is(r.code, 1);
  t.is(r.stderr, 'error: bad: Node bad was not found\n');
  t.false(fake.lines().some((l) => l.startsWith('GET /v1/introspection/')));
});

test('status prints every field but links, sorted, as a table', async (t) => {
  const fake = await new FakeApi().on(`GET /v1/introspection/${NODE_UUID}`, { body: statusBody() }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['status', NODE_UUID, '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.is(
    r.stdout,
    [
      '+-------------+--------------------------------------+',
      '| Field       | Value                                |',
      '+-------------+--------------------------------------+',
      '| error       | None                                 |',
      '| finished    | false                                |',
      '| finished_at | None                                 |',
      '| started_at  | 2024-01-01T10:00:00.000              |',
      '| state       | waiting                              |',
      `| uuid        | ${NODE_UUID} |`,
      '+-------------+--------------------------------------+',
      '',
    ].join('\n'),
  );
});

test('status --format json prints the API JSON exactly', async (t) => {
  const fake = await new FakeApi().on(`GET /v1/introspection/${NODE_UUID}`, { body: statusBody() }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['status', NODE_UUID, '--format', 'json', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), statusBody());
});

test('list sends marker, limit and state and prints a table', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/introspection', {
      body: {
        introspection: [statusBody({ state: 'error', finished: true, error: 'Introspection timeout' })],
      },
    })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli([
    'list',
    '--marker',
    NODE2_UUID,
    '--limit',
    '10',
    '--state',
    'error,waiting',
    '--url',
    fake.url,
  ]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.requests[0]!.query, { marker: NODE2_UUID, limit: '10', state: 'error,waiting' });
  t.regex(r.stdout, /\| UUID +\| Started at +\| Finished at +\| State +\| Error +\|/);
  t.regex(
    r.stdout,
    new RegExp(
      `\\| ${NODE_UUID} \\| 2024-01-01T10:00:00.000 \\| None +\\| error \\| Introspection timeout \\|`,
    ),
  );
});

test('list without options sends no query parameters', async (t) => {
  const fake = await new FakeApi().on('GET /v1/introspection', { body: { introspection: [] } }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['list', '--format', 'json', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.lines(), ['GET /v1/introspection']);
  t.deepEqual(JSON.parse(r.stdout), { introspection: [] });
});

test('list rejects a negative --limit', async (t) => {
  const r = await cli(['list', '--limit', '-1']);
  t.is(r.code, 2);
});

test('abort posts to the abort endpoint', async (t) => {
  const fake = await new FakeApi()
    .on('POST /v1/introspection/node-1/abort', { status: 202, body: {} })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['abort', 'node-1', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.lines(), ['POST /v1/introspection/node-1/abort']);
});

test('abort of a locked node exits 1 with the API message', async (t) => {
  const fake = await new FakeApi()
    .on('POST /v1/introspection/node-1/abort', {
      status: 409,
      body: { error: { message: 'Node is locked, please, retry later' } },
    })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['abort', 'node-1', '--url', fake.url]);
  t.is(r.code, 1);
  t.is(r.stderr, 'error: Node is locked, please, retry later\n');
});

test('reprocess posts without a body', async (t) => {
  const fake = await new FakeApi()
    .on('POST /v1/introspection/node-1/data/unprocessed', { status: 202, body: {} })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['reprocess', 'node-1', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.lines(), ['POST /v1/introspection/node-1/data/unprocessed']);
  t.is(fake.requests[0]!.body, '');
});

test('reprocess --data posts the file as the JSON body', async (t) => {
  const file = await tempFile(t, 'data.json', '{"inventory": {"interfaces": []}}');
  const fake = await new FakeApi()
    .on('POST /v1/introspection/node-1/data/unprocessed', { status: 202, body: {} })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['reprocess', 'node-1', '--data', file, '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(fake.requests[0]!.body), { inventory: { interfaces: [] } });
  t.is(fake.requests[0]!.headers['content-type'], 'application/json');
});

test('reprocess --data with invalid JSON is a usage error and sends nothing', async (t) => {
  const file = await tempFile(t, 'data.json', '{not json');
  const fake = await new FakeApi().start();
  t.teardown(() => fake.stop());
  const r = await cli(['reprocess', 'node-1', '--data', file, '--url', fake.url]);
  t.is(r.code, 2);
  t.regex(r.stderr, /is not valid JSON/);
  t.is(fake.requests.length, 0);
});

const DATA = '{"all_interfaces":{"eth0":{"mac":"52:54:00:00:00:01"}},"cpus":4}';

test('data save prints the processed data as pretty JSON', async (t) => {
  const fake = await new FakeApi().on('GET /v1/introspection/node-1/data', { body: DATA }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['data', 'save', 'node-1', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, `${JSON.stringify(JSON.parse(DATA), null, 2)}\n`);
});

test('data save --unprocessed --file writes the raw bytes to the file', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'raw.json');
  const fake = await new FakeApi()
    .on('GET /v1/introspection/node-1/data/unprocessed', { body: DATA })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['data', 'save', 'node-1', '--unprocessed', '--file', file, '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.lines(), ['GET /v1/introspection/node-1/data/unprocessed']);
  t.is(await readFile(file, 'utf8'), DATA);
  t.is(r.stdout, '');
});

test('data save of a node without data exits 1', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/introspection/node-1/data', {
      status: 404,
      body: { error: { message: 'No data for node node-1' } },
    })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['data', 'save', 'node-1', '--url', fake.url]);
  t.is(r.code, 1);
  t.is(r.stderr, 'error: No data for node node-1\n');
});

test('wait follows an introspection started elsewhere without starting one; exit 1 on error', async (t) => {
  const fake = await waitingApi({ state: 'error', error: 'Timeout' });
  t.teardown(() => fake.stop());
  const r = await cli(['wait', 'node-1', '--poll-interval', '0.01', '--url', fake.url]);
  t.is(r.code, 1);
  t.false(fake.lines().some((line) => line.startsWith('POST')));
  t.regex(r.stdout, /callback\.received 52:54:00:00:00:01 ramdisk data received/);
  t.regex(r.stdout, /node-1: finished with error: Timeout/);
});
