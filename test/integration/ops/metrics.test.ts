// GET /metrics and /healthz of a real `inspectord serve`: the exposition parses with the
// reference parser and its counters move with a full introspection (enrol, start, callback).
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { api, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';
import { callbackBody, enrolAndStart, requireParser, scrape, valueOf, waitForState } from './ops-harness.js';

let daemon: DaemonHandle;
const MAC = '52:54:00:0a:00:01';

test.before(async () => {
  await requireParser();
  // IPMI off: no packet may go to the (non-existent) BMC address of the test node.
  daemon = await startDaemon({ ipmi: { enabled: false } });
});
test.after.always(async () => {
  await daemon?.cleanup();
});

test.serial('counters move with a full introspection and the exposition parses', async (t) => {
  const before = await scrape(daemon.url);
  t.is(valueOf(before, 'inspectord_callbacks_total', { outcome: 'ok' }), 0);
  t.is(valueOf(before, 'inspectord_introspections', { state: 'finished' }), 0);

  const uuid = await enrolAndStart(daemon.url, 'metrics-node', MAC);
  const waiting = await scrape(daemon.url);
  t.is(valueOf(waiting, 'inspectord_introspections', { state: 'waiting' }), 1);

  const r = await api(daemon.url, 'POST', '/v1/continue', callbackBody(MAC));
  t.is(r.status, 200, r.text);
  await waitForState(daemon.url, uuid, 'finished');

  const after = await scrape(daemon.url);
  t.is(valueOf(after, 'inspectord_callbacks_total', { outcome: 'ok' }), 1);
  t.is(valueOf(after, 'inspectord_introspections', { state: 'finished' }), 1);
  t.is(valueOf(after, 'inspectord_introspections', { state: 'waiting' }), 0);
  t.is(
    valueOf(after, 'inspectord_api_requests_total', { method: 'POST', route: '/v1/continue', status: '200' }),
    1,
  );
  t.is(
    valueOf(after, 'inspectord_api_requests_total', {
      method: 'POST',
      route: '/v1/introspection/:node_id',
      status: '202',
    }),
    1,
  );
  t.true(valueOf(after, 'inspectord_api_request_duration_seconds_count', { route: '/v1/continue' }) >= 1);
  for (const hook of ['scheduler', 'validate_interfaces', 'root_disk_selection']) {
    t.is(
      valueOf(after, 'inspectord_hook_duration_seconds_count', {
        hook,
        phase: 'before_update',
        outcome: 'ok',
      }),
      1,
      hook,
    );
  }
  t.is(valueOf(after, 'inspectord_rules_duration_seconds_count', { outcome: 'ok' }), 1);
  t.true(valueOf(after, 'inspectord_events_total', { area: 'callback', level: 'info' }) >= 1);
  t.true(after.some((s) => s.name === 'nodejs_eventloop_lag_seconds'));
  t.true(after.some((s) => s.name === 'process_resident_memory_bytes'));
});

test.serial('a callback nobody matches is counted by its error code', async (t) => {
  const r = await api(daemon.url, 'POST', '/v1/continue', callbackBody('52:54:00:0a:00:99'));
  t.is(r.status, 400);
  const samples = await scrape(daemon.url);
  t.is(valueOf(samples, 'inspectord_callbacks_total', { outcome: 'lookup_not_found' }), 1);
});

test.serial('GET /healthz is 200 {"status":"ok"} and needs no credentials', async (t) => {
  const r = await api(daemon.url, 'GET', '/healthz');
  t.is(r.status, 200);
  t.deepEqual(r.json, { status: 'ok' });
});

test.serial('/metrics follows http_basic unless metrics_auth = false', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'inspectord-metrics-auth-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'htpasswd');
  await writeFile(file, `admin:${bcrypt.hashSync('s3cret', 4)}\n`, { mode: 0o600 });
  const auth = {
    DEFAULT: { auth_strategy: 'http_basic', http_basic_auth_user_file: file },
    ipmi: { enabled: false },
  };
  const basic = `Basic ${Buffer.from('admin:s3cret').toString('base64')}`;

  const locked = await startDaemon(auth);
  t.teardown(() => locked.cleanup());
  t.is((await fetch(`${locked.url}/metrics`)).status, 401);
  t.is((await fetch(`${locked.url}/metrics`, { headers: { authorization: basic } })).status, 200);
  t.is((await fetch(`${locked.url}/healthz`)).status, 200);

  const open = await startDaemon({ ...auth, DEFAULT: { ...auth.DEFAULT, metrics_auth: false } });
  t.teardown(() => open.cleanup());
  t.is((await fetch(`${open.url}/metrics`)).status, 200);
  t.is((await fetch(`${open.url}/v1/rules`)).status, 401);
});
