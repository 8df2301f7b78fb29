// Callbacks that must stay out, over real HTTP (`[processing] callback_auth = token`): the token
// comes from the iPXE script the daemon renders for the MAC, as the ramdisk's kernel command line
// carries it. No token, a wrong token and a used token are refused with 401 and leave no data.
import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ipaInventory } from '../../helpers/core-env.js';
import { api, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';

const MAC = '52:54:00:c4:00:01';
let daemon: DaemonHandle | undefined;

test.before(async () => {
  daemon = await startDaemon(
    {
      DEFAULT: { clean_up_period: 0 },
      processing: { callback_auth: 'token' },
      http_boot: { enabled: true },
    },
    {},
  );
  // The boot root the iPXE script points at (a kernel and initramfs must exist to render it).
  const root = join(daemon.stateDir, 'tftp');
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'discovery.kernel'), 'kernel');
  await writeFile(join(root, 'discovery.initramfs'), 'initramfs');
  const created = await api(daemon.url, 'POST', '/v1/nodes', { name: 'tok', ports: [{ address: MAC }] });
  if (created.status !== 201) throw new Error(`node create: ${created.status} ${created.text}`);
});

test.after.always(async () => {
  await daemon?.cleanup();
});

function d(): DaemonHandle {
  if (!daemon) throw new Error('daemon did not start');
  return daemon;
}

/** Start an introspection and read the token from the iPXE script rendered for the MAC. */
async function startAndFetchToken(): Promise<string> {
  const started = await api(d().url, 'POST', '/v1/introspection/tok?manage_boot=false');
  if (started.status !== 202) throw new Error(`start: ${started.status} ${started.text}`);
  const script = await api(d().url, 'GET', `/boot/ipxe/${MAC}.ipxe`);
  const token = /inspectord-token=(\S+)/.exec(script.text)?.[1];
  if (!token) throw new Error(`no token in the iPXE script (${script.status}): ${script.text}`);
  return token;
}

const state = async (): Promise<unknown> => (await api(d().url, 'GET', '/v1/introspection/tok')).json;

test.serial('a callback without a token is refused with 401 and the node keeps waiting', async (t) => {
  await startAndFetchToken();
  const refused = await api(d().url, 'POST', '/v1/continue', ipaInventory(MAC));
  t.is(refused.status, 401, refused.text);
  t.regex(refused.text, /callback_auth/);
  t.like(await state(), { state: 'waiting', finished: false });
  t.is((await api(d().url, 'GET', '/v1/introspection/tok/data/unprocessed')).status, 404);
});

test.serial('a wrong token is refused with 401; the right one is accepted', async (t) => {
  const token = await startAndFetchToken();
  const wrong = await api(d().url, 'POST', '/v1/continue', ipaInventory(MAC), {
    'x-inspectord-token': `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
  });
  t.is(wrong.status, 401, wrong.text);
  t.like(await state(), { state: 'waiting' });
  const right = await api(d().url, 'POST', '/v1/continue', ipaInventory(MAC), {
    'x-inspectord-token': token,
  });
  t.is(right.status, 200, right.text);
  t.like(await state(), { state: 'finished', error: null });
});

test.serial(
  'a used token is refused with 401, also for the next introspection of the same node',
  async (t) => {
    const token = await startAndFetchToken();
    t.is((await api(d().url, 'POST', '/v1/continue', { ...ipaInventory(MAC), token })).status, 200);
    const replay = await api(d().url, 'POST', '/v1/continue', {
      ...ipaInventory(MAC, { replayed: true }),
      token,
    });
    t.is(replay.status, 401, replay.text);
    await startAndFetchToken();
    const stale = await api(d().url, 'POST', '/v1/continue', { ...ipaInventory(MAC), token });
    t.is(stale.status, 401, stale.text);
    t.like(await state(), { state: 'waiting', finished: false });
    const events = await api(d().url, 'GET', '/v1/events?type=callback.refused&limit=100');
    t.true((events.json as { events: unknown[] }).events.length >= 4);
  },
);
