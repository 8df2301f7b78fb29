// Disk full: the daemon's state_dir is a 1 MiB tmpfs and its ramdisk_logs_dir another small one,
// which the tests fill to the last byte. State writes and introspection data/ramdisk-log writes
// then fail with coded errors, the previous state.json stays intact and loadable, and freeing
// space heals the daemon without a restart.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipaInventory } from '../../helpers/core-env.js';
import { api, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';
import { requireTools, sh } from '../../helpers/netns.js';
import { waitFor } from '../../helpers/wait.js';

const MAC = '52:54:00:d1:00:01';
const MAC2 = '52:54:00:d1:00:02';
let base = '';
let stateDir = '';
let logsDir = '';
const mounted: string[] = [];
let daemon: DaemonHandle | undefined;

async function mountTmpfs(dir: string, size: string): Promise<void> {
  await sh('mkdir', ['-p', dir]);
  await sh('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  mounted.push(dir);
}

test.before(async () => {
  await requireTools('mount', 'umount');
  base = await mkdtemp(join(tmpdir(), 'inspectord-diskfull-'));
  stateDir = join(base, 'state');
  logsDir = join(base, 'logs');
  await mountTmpfs(stateDir, '1m');
  await mountTmpfs(logsDir, '64k');
  daemon = await startDaemon(
    {
      DEFAULT: { clean_up_period: 0 },
      processing: { always_store_ramdisk_logs: true, ramdisk_logs_dir: logsDir },
    },
    { stateDir },
  );
});

test.after.always(async () => {
  await daemon?.cleanup();
  // Lazy: a daemon killed a moment ago may still hold a mount busy for an instant.
  for (const dir of mounted.reverse()) await sh('umount', ['-l', dir]).catch(() => undefined);
  if (base) await rm(base, { recursive: true, force: true });
});

function d(): DaemonHandle {
  if (!daemon) throw new Error('daemon did not start');
  return daemon;
}

/** Write until ENOSPC: afterwards not one more byte fits on the file system of `dir`. */
async function fill(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, 'filler');
  const handle = await open(file, 'a');
  try {
    for (const size of [64 * 1024, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x55);
      for (;;) {
        try {
          await handle.write(chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
  return () => unlink(file).catch(() => undefined);
}

async function nodeNamesOnDisk(): Promise<string[]> {
  const doc = JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8')) as {
    nodes: Array<{ name: string }>;
  };
  return doc.nodes.map((n) => n.name).sort();
}

const messageOf = (json: unknown): string => (json as { error?: { message?: string } }).error?.message ?? '';

test.serial(
  'state write on a full disk: coded 500, state.json untouched, and freeing space heals it without a restart',
  async (t) => {
    const first = await api(d().url, 'POST', '/v1/nodes', { name: 'before-full', ports: [{ address: MAC }] });
    t.is(first.status, 201, first.text);
    const before = await readFile(join(stateDir, 'state.json'), 'utf8');
    const free = await fill(stateDir);
    t.teardown(free);
    const refused = await api(d().url, 'POST', '/v1/nodes', { name: 'while-full' });
    t.is(refused.status, 500, refused.text);
    t.regex(messageOf(refused.json), /^Could not write state file .*state\.json: ENOSPC: no space left/);
    await waitFor(() => /"code":"ERR_STORE_WRITE"/.test(d().output()), 'the coded error in the log');
    t.is(await readFile(join(stateDir, 'state.json'), 'utf8'), before, 'the previous file is byte-identical');
    t.deepEqual(
      (await readdir(stateDir)).filter((n) => n.endsWith('.tmp')),
      [],
      'no temp file left behind',
    );
    t.is((await api(d().url, 'GET', '/healthz')).status, 200, 'the daemon stays up');
    await free();
    const healed = await api(d().url, 'POST', '/v1/nodes', { name: 'after-free' });
    t.is(healed.status, 201, healed.text);
    // The change refused with 500 stayed pending in memory and is written with the next write.
    t.deepEqual(await nodeNamesOnDisk(), ['after-free', 'before-full', 'while-full']);
  },
);

test.serial('kill -9 and a restart while the disk is full load the last good state.json', async (t) => {
  const free = await fill(stateDir);
  t.teardown(free);
  await d().stop('SIGKILL');
  await d().restart();
  const listed = await api(d().url, 'GET', '/v1/nodes');
  t.is(listed.status, 200, listed.text);
  const names = (listed.json as { nodes: Array<{ name: string }> }).nodes.map((n) => n.name).sort();
  t.deepEqual(names, ['after-free', 'before-full', 'while-full']);
});

test.serial(
  'introspection data on a full disk: coded 500, the node keeps waiting, and the ramdisk retry succeeds once space is back',
  async (t) => {
    const started = await api(d().url, 'POST', `/v1/introspection/before-full?manage_boot=false`);
    t.is(started.status, 202, started.text);
    const free = await fill(stateDir);
    t.teardown(free);
    const body = ipaInventory(MAC, { logs: randomBytes(2048).toString('base64') });
    const refused = await api(d().url, 'POST', '/v1/continue', body);
    t.is(refused.status, 500, refused.text);
    t.regex(messageOf(refused.json), /^Could not write unprocessed introspection data .*: ENOSPC/);
    await waitFor(() => /"code":"ERR_STORE_DATA_WRITE"/.test(d().output()), 'the coded error in the log');
    const waiting = await api(d().url, 'GET', '/v1/introspection/before-full');
    t.like(waiting.json, { state: 'waiting', finished: false, error: null });
    await free();
    const retried = await api(d().url, 'POST', '/v1/continue', body);
    t.is(retried.status, 200, retried.text);
    t.like((await api(d().url, 'GET', '/v1/introspection/before-full')).json, {
      state: 'finished',
      error: null,
    });
    t.is((await api(d().url, 'GET', '/v1/introspection/before-full/data/unprocessed')).status, 200);
  },
);

test.serial(
  'ramdisk logs on a full disk: the introspection finishes, an error event says why, and later logs are stored',
  async (t) => {
    const created = await api(d().url, 'POST', '/v1/nodes', {
      name: 'logs-node',
      ports: [{ address: MAC2 }],
    });
    t.is(created.status, 201, created.text);
    const uuid = (created.json as { uuid: string }).uuid;
    const free = await fill(logsDir);
    t.teardown(free);
    const stored = (await readdir(logsDir)).length;
    t.is((await api(d().url, 'POST', `/v1/introspection/${uuid}?manage_boot=false`)).status, 202);
    const body = ipaInventory(MAC2, { logs: randomBytes(16 * 1024).toString('base64') });
    const done = await api(d().url, 'POST', '/v1/continue', body);
    t.is(done.status, 200, done.text);
    t.like((await api(d().url, 'GET', `/v1/introspection/${uuid}`)).json, { state: 'finished', error: null });
    const events = await api(d().url, 'GET', `/v1/events?node=${uuid}&type=callback.logs&limit=10`);
    const event = (
      events.json as { events: Array<{ level: string; message: string; data?: { code?: string } }> }
    ).events[0];
    t.like(event, { level: 'error', data: { code: 'ERR_STORE_DATA_WRITE' } });
    t.regex(event?.message ?? '', /ramdisk logs were not stored: .*ENOSPC/);
    t.is((await readdir(logsDir)).length, stored, 'no partial log file is left');
    await free();
    t.is((await api(d().url, 'POST', `/v1/introspection/${uuid}?manage_boot=false`)).status, 202);
    t.is((await api(d().url, 'POST', '/v1/continue', body)).status, 200);
    await waitFor(
      async () => (await readdir(logsDir)).some((n) => n.endsWith('.tar.gz')),
      'the ramdisk logs of the second run on disk',
    );
    t.pass();
  },
);
