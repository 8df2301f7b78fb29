// Lifecycle of a real `inspectord serve`: SIGHUP applies what can change live and reports what
// needs a restart; SIGTERM lets an in-flight callback finish and loses no state, bounded by
// [DEFAULT] shutdown_timeout; a readable htpasswd file is warned about at start.
import test from 'ava';
import { request } from 'node:http';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { api, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';
import { sleep, waitFor } from '../../helpers/wait.js';
import { callbackBody, enrolAndStart, writeIni, type Sections } from './ops-harness.js';

interface EventLike {
  type: string;
  level: string;
  message: string;
  data?: { applied?: string[]; restartRequired?: string[]; errors?: string[] };
}

async function eventsOf(url: string, type: string): Promise<EventLike[]> {
  return ((await api(url, 'GET', `/v1/events?type=${type}`)).json as { events: EventLike[] }).events;
}

function baseSections(daemon: DaemonHandle, extra: Sections = {}): Sections {
  return {
    ...extra,
    DEFAULT: {
      listen_address: '127.0.0.1',
      listen_port: daemon.port,
      state_dir: daemon.stateDir,
      log_level: 'warn',
      ...extra.DEFAULT,
    },
    ipmi: { enabled: false, ...extra.ipmi },
  };
}

async function hangup(daemon: DaemonHandle, count: number): Promise<EventLike> {
  daemon.child.kill('SIGHUP');
  const events = await waitFor(
    async () => {
      const found = await eventsOf(daemon.url, 'daemon.reload');
      return found.length >= count ? found : null;
    },
    `reload event #${count}`,
    10_000,
  );
  return events[count - 1]!;
}

/** A POST /v1/continue whose body is sent in two halves; resolves to [status, body]. */
function slowCallback(url: string, body: string): { finish(): void; response: Promise<[number, string]> } {
  const half = Math.floor(body.length / 2);
  const { hostname, port } = new URL(url);
  const req = request({
    host: hostname,
    port,
    method: 'POST',
    path: '/v1/continue',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const response = new Promise<[number, string]>((resolve, reject) => {
    req.once('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.once('end', () => resolve([res.statusCode ?? 0, text]));
    });
    req.once('error', reject);
  });
  req.write(body.slice(0, half));
  return { finish: () => req.end(body.slice(half)), response };
}

test.serial('SIGHUP applies live options, reports restart-only ones, and refuses a bad file', async (t) => {
  const daemon = await startDaemon({ ipmi: { enabled: false } });
  t.teardown(() => daemon.cleanup());
  t.is(((await api(daemon.url, 'GET', '/v1/discovery')).json as { enabled: boolean }).enabled, false);

  await writeIni(
    daemon.configPath,
    baseSections(daemon, {
      DEFAULT: { listen_port: daemon.port + 1, log_level: 'info', api_max_limit: 1 },
      discovery: { enabled: true },
      processing: { processing_hooks: 'ramdisk_error,scheduler', power_off: false, callback_auth: 'none' },
    }),
  );
  const first = await hangup(daemon, 1);
  t.is(first.level, 'warn');
  t.deepEqual(first.data?.restartRequired, ['DEFAULT.listen_port']);
  t.deepEqual([...(first.data?.applied ?? [])].sort(), [
    'DEFAULT.api_max_limit',
    'DEFAULT.log_level',
    'discovery.enabled',
    'processing.power_off',
    'processing.processing_hooks',
  ]);
  t.deepEqual(first.data?.errors, []);
  // Applied for real: discovery switched on, list limit in force, still on the old port.
  t.is(((await api(daemon.url, 'GET', '/v1/discovery')).json as { enabled: boolean }).enabled, true);
  t.is((await api(daemon.url, 'GET', '/v1/introspection?limit=5')).status, 400);

  // A hook list that does not validate: reported, the running pipeline stays.
  await writeIni(
    daemon.configPath,
    baseSections(daemon, { processing: { processing_hooks: 'ramdisk_error,no_such_hook' } }),
  );
  const second = await hangup(daemon, 2);
  t.is(second.level, 'error');
  t.regex(second.data?.errors?.[0] ?? '', /unknown processing hook "no_such_hook"/);
  t.false(second.data?.applied?.includes('processing.processing_hooks'));

  // A file that does not parse as a config changes nothing and the daemon keeps serving.
  await writeFile(daemon.configPath, '[DEFAULT]\nlisten_port = not-a-number\n');
  const third = await hangup(daemon, 3);
  t.is(third.level, 'error');
  t.regex(third.message, /reload refused, nothing changed/);
  t.is((await api(daemon.url, 'GET', '/healthz')).status, 200);
});

test.serial('SIGTERM lets an in-flight callback finish and the result survives a restart', async (t) => {
  const daemon = await startDaemon({ ipmi: { enabled: false }, DEFAULT: { shutdown_timeout: 20 } });
  t.teardown(() => daemon.cleanup());
  const mac = '52:54:00:0b:00:01';
  const uuid = await enrolAndStart(daemon.url, 'drain-node', mac);

  const call = slowCallback(daemon.url, callbackBody(mac));
  await sleep(300); // headers and half of the body are in the daemon
  const exited = new Promise<number | null>((resolve) => daemon.child.once('exit', (code) => resolve(code)));
  daemon.child.kill('SIGTERM');
  await sleep(500);
  t.is(daemon.child.exitCode, null, 'the daemon waits for the in-flight request');
  call.finish();
  const [status, body] = await call.response;
  t.is(status, 200, body);
  t.is(await exited, 0);

  await daemon.restart();
  const record = (await api(daemon.url, 'GET', `/v1/introspection/${uuid}`)).json as {
    state: string;
    finished: boolean;
    error: string | null;
  };
  t.is(record.state, 'finished');
  t.true(record.finished);
  t.is(record.error, null);
  const shutdown = await eventsOf(daemon.url, 'daemon.shutdown');
  t.regex(shutdown.at(-1)?.message ?? '', /in-flight work finished; state flushed/);
});

test.serial('SIGTERM gives up on a stalled request after shutdown_timeout and still flushes', async (t) => {
  const daemon = await startDaemon({ ipmi: { enabled: false }, DEFAULT: { shutdown_timeout: 2 } });
  t.teardown(() => daemon.cleanup());
  const mac = '52:54:00:0b:00:02';
  const uuid = await enrolAndStart(daemon.url, 'stall-node', mac);

  const call = slowCallback(daemon.url, callbackBody(mac)); // never finished
  call.response.catch(() => undefined);
  await sleep(300);
  const started = Date.now();
  const exited = new Promise<number | null>((resolve) => daemon.child.once('exit', (code) => resolve(code)));
  daemon.child.kill('SIGTERM');
  t.is(await exited, 0);
  const took = Date.now() - started;
  t.true(took >= 1900 && took < 8000, `exit took ${took} ms`);

  await daemon.restart();
  const record = (await api(daemon.url, 'GET', `/v1/introspection/${uuid}`)).json as { state: string };
  t.is(record.state, 'waiting', 'the node waits for the ramdisk to retry');
  const shutdown = await eventsOf(daemon.url, 'daemon.shutdown');
  t.regex(shutdown.at(-1)?.message ?? '', /did not finish within 2000 ms/);
});

test.serial('a group/world-readable htpasswd file is warned about at start', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'inspectord-perm-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'htpasswd');
  await writeFile(file, `admin:${bcrypt.hashSync('s3cret', 4)}\n`);
  await chmod(file, 0o644);
  const daemon = await startDaemon({
    DEFAULT: { auth_strategy: 'http_basic', http_basic_auth_user_file: file },
    ipmi: { enabled: false },
  });
  t.teardown(() => daemon.cleanup());
  const basic = `Basic ${Buffer.from('admin:s3cret').toString('base64')}`;
  const events = (
    await api(daemon.url, 'GET', '/v1/events?type=daemon.insecure_file', undefined, { authorization: basic })
  ).json as { events: EventLike[] };
  t.is(events.events.length, 1);
  t.regex(events.events[0]!.message, /readable by every local user \(mode 0644\); run: chmod 0600/);
  t.regex(daemon.output(), /chmod 0600/);
});
