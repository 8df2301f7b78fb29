// events (timeline query and --follow over SSE) and discovery status/on/off.
import test from 'ava';
import type { ServerResponse } from 'node:http';
import { FakeApi, NODE_UUID, cli } from './fake-api.js';
import { waitFor } from '../../helpers/wait.js';

const EVENTS = [
  {
    seq: 1,
    ts: '2024-01-01T10:00:00.000Z',
    type: 'dhcp.offer',
    level: 'info',
    mac: '52:54:00:00:00:01',
    message: 'offered 198.18.0.10 to a known node',
  },
  {
    seq: 2,
    ts: '2024-01-01T10:00:05.000Z',
    type: 'introspection.start',
    level: 'info',
    node: NODE_UUID,
    message: 'started',
  },
];

test('events queries by MAC, node, type, after and limit and prints timeline lines', async (t) => {
  const fake = await new FakeApi().on('GET /v1/events', { body: { events: EVENTS } }).start();
  t.teardown(() => fake.stop());
  const r = await cli([
    'events',
    '--mac',
    '52:54:00:00:00:01',
    '--node',
    'n1',
    '--type',
    'dhcp.offer,introspection.start',
    '--after',
    '0',
    '--limit',
    '50',
    '--url',
    fake.url,
  ]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.requests[0]!.query, {
    mac: '52:54:00:00:00:01',
    node: 'n1',
    type: 'dhcp.offer,introspection.start',
    after: '0',
    limit: '50',
  });
  t.is(
    r.stdout,
    '2024-01-01T10:00:00.000Z dhcp.offer 52:54:00:00:00:01 offered 198.18.0.10 to a known node\n' +
      '2024-01-01T10:00:05.000Z introspection.start started\n',
  );
});

test('events --format json prints the API JSON', async (t) => {
  const fake = await new FakeApi().on('GET /v1/events', { body: { events: EVENTS } }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['events', '--format', 'json', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.requests[0]!.query, {});
  t.deepEqual(JSON.parse(r.stdout), { events: EVENTS });
});

test('events with a bad MAC exits 1 with the API message', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/events', { status: 400, body: { error: { message: 'mac "zz" is not a MAC address' } } })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['events', '--mac', 'zz', '--url', fake.url]);
  t.is(r.code, 1);
  t.is(r.stderr, 'error: mac "zz" is not a MAC address\n');
});

test('events --follow prints streamed events until interrupted, then exits 0', async (t) => {
  const streams: ServerResponse[] = [];
  const fake = await new FakeApi()
    .on('GET /v1/events', (_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(EVENTS[0])}\n\n`);
      res.write(': ping\n\n');
      // An event split across two chunks must still be read whole.
      const second = `data: ${JSON.stringify(EVENTS[1])}\n\n`;
      res.write(second.slice(0, 20));
      setTimeout(() => res.write(second.slice(20)), 20);
      streams.push(res);
      return undefined;
    })
    .start();
  t.teardown(() => fake.stop());
  const controller = new AbortController();
  let printed = '';
  const running = cli(['events', '--mac', '52:54:00:00:00:01', '--follow', '--url', fake.url], {
    signal: controller.signal,
    onStdout: (stdout) => (printed = stdout),
  });
  await waitFor(() => streams.length === 1, 'the event stream to open');
  // Interrupt only once the split event was printed (a fixed sleep raced on a loaded box).
  await waitFor(() => printed.includes('introspection.start'), 'the second event to be printed');
  controller.abort();
  const r = await running;
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.requests[0]!.query, { mac: '52:54:00:00:00:01', follow: '1' });
  t.is(fake.requests[0]!.headers.accept, 'text/event-stream');
  t.is(
    r.stdout,
    '2024-01-01T10:00:00.000Z dhcp.offer 52:54:00:00:00:01 offered 198.18.0.10 to a known node\n' +
      '2024-01-01T10:00:05.000Z introspection.start started\n',
  );
});

test('events --follow --format json prints one JSON event per line', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/events', (_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(EVENTS.map((e) => `data: ${JSON.stringify(e)}\n\n`).join(''));
      return undefined;
    })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['events', '--follow', '--format', 'json', '--url', fake.url]);
  t.deepEqual(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    EVENTS,
  );
  // The daemon closing the stream is a lost connection, not a normal end.
  t.is(r.code, 3);
  t.regex(r.stderr, /closed the event stream/);
});

test('discovery status reads the setting', async (t) => {
  const fake = await new FakeApi().on('GET /v1/discovery', { body: { enabled: false } }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['discovery', 'status', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'discovery: disabled\n');
  t.deepEqual(fake.lines(), ['GET /v1/discovery']);
});

for (const [verb, enabled] of [
  ['on', true],
  ['off', false],
] as const) {
  test(`discovery ${verb} puts enabled=${enabled}`, async (t) => {
    const fake = await new FakeApi()
      .on('PUT /v1/discovery', (request) => ({ body: JSON.parse(request.body) as unknown }))
      .start();
    t.teardown(() => fake.stop());
    const r = await cli(['discovery', verb, '--url', fake.url]);
    t.is(r.code, 0, r.stderr);
    t.deepEqual(fake.lines(), ['PUT /v1/discovery']);
    t.deepEqual(JSON.parse(fake.requests[0]!.body), { enabled });
    t.is(r.stdout, `discovery: ${enabled ? 'enabled' : 'disabled'}\n`);
  });
}

test('discovery status --format json prints the API JSON', async (t) => {
  const fake = await new FakeApi().on('GET /v1/discovery', { body: { enabled: true } }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['discovery', 'status', '--format', 'json', '--url', fake.url]);
  t.deepEqual(JSON.parse(r.stdout), { enabled: true });
});

test('events rejects a non-integer --limit', async (t) => {
  const r = await cli(['events', '--limit', 'many']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--limit must be a non-negative integer/);
});
