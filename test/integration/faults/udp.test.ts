// The running daemon's UDP side under abuse: a real TFTP client killed mid-transfer (reaped, gauge
// back to 0, counted, explained in the timeline), a few thousand random and mutated DHCP and TFTP
// datagrams (the daemon stays up, its malformed counters move by exactly what our decoders
// reject, real clients still work), and hostile TFTP names and options (refused or capped).
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeRequest } from '../../../src/tftp/packet.js';
import { api } from '../../helpers/daemon.js';
import { requireTools } from '../../helpers/netns.js';
import { sleep, waitFor } from '../../helpers/wait.js';
import { buildWorld, dhcp, SERVER_IP, setMac, timeline, type World } from '../netboot/harness.js';

const DRIVER = fileURLToPath(new URL('./udp-fuzz-driver.js', import.meta.url));
const CLIENT_IP = '198.18.90.2';
const NODE_MAC = '52:54:00:f2:00:01';
const FUZZ_COUNT = 3000;
const BIG = 48 * 1024 * 1024;

let world: World | undefined;
const cleanups: Array<() => Promise<void> | void> = [];

test.before(async () => {
  await requireTools('ip', 'busybox', 'tftp');
  world = await buildWorld(cleanups, {
    DEFAULT: { clean_up_period: 0 },
    // No per-MAC gating: the fuzz datagrams must reach the sockets, not the nft filter.
    pxe_filter: { driver: 'noop' },
  });
  const root = join(world.daemon.stateDir, 'tftp');
  await writeFile(join(root, 'big.bin'), randomBytes(BIG));
  await writeFile(join(world.daemon.stateDir, 'secret'), 'outside the boot root\n');
  await symlink(join(world.daemon.stateDir, 'secret'), join(root, 'link-out'));
  await setMac(world.client, world.clientIf, NODE_MAC);
  await world.client.exec('ip', ['addr', 'add', `${CLIENT_IP}/24`, 'dev', world.clientIf]);
});

test.after.always(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function w(): World {
  if (!world) throw new Error('test world was not built');
  return world;
}

/** The daemon's /metrics as `name{labels}` → value. */
async function metrics(): Promise<Map<string, number>> {
  const r = await api(w().daemon.url, 'GET', '/metrics');
  if (r.status !== 200) throw new Error(`/metrics → ${r.status}`);
  const out = new Map<string, number>();
  for (const line of r.text.split('\n')) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

const metric = (all: Map<string, number>, key: string): number => all.get(key) ?? 0;
const ACTIVE = 'inspectord_tftp_transfers_in_progress{queue="active"}';
const QUEUED = 'inspectord_tftp_transfers_in_progress{queue="queued"}';

async function driver<T>(job: Record<string, unknown>): Promise<T> {
  const text = await w().client.exec(process.execPath, [
    DRIVER,
    JSON.stringify({ server: SERVER_IP, ...job }),
  ]);
  return JSON.parse(text.trim().split('\n').at(-1)!) as T;
}

async function idle(): Promise<void> {
  await waitFor(
    async () => {
      const m = await metrics();
      return metric(m, ACTIVE) === 0 && metric(m, QUEUED) === 0;
    },
    'no TFTP transfer in progress',
    15_000,
    100,
  );
}

/** Datagrams the kernel of the server namespace dropped (full receive buffer): UDP InErrors. */
async function udpDrops(): Promise<number> {
  const snmp = (await w().server.exec('cat', ['/proc/net/snmp']))
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = snmp[0]?.split(/\s+/) ?? [];
  const values = snmp[1]?.split(/\s+/) ?? [];
  return Number(values[names.indexOf('InErrors')] ?? NaN);
}

/**
 * The counter `key` moved by exactly `expected` since `before`. Should the kernel have dropped
 * datagrams on a loaded box (UDP InErrors moved), the exact count is unknowable: then it must lie
 * between `expected - drops` and `expected`.
 */
async function assertCounted(
  t: ExecutionContext,
  key: string,
  before: Map<string, number>,
  expected: number,
  dropsBefore: number,
): Promise<void> {
  const target = metric(before, key) + expected;
  const exact = await waitFor(
    async () => metric(await metrics(), key) === target,
    `${key} = ${target}`,
    5_000,
    100,
  )
    .then(() => true)
    .catch(() => false);
  const drops = (await udpDrops()) - dropsBefore;
  if (exact) {
    t.pass();
    return;
  }
  const now = metric(await metrics(), key);
  t.log(`${key}: ${now - metric(before, key)} counted of ${expected}; the kernel dropped ${drops} datagrams`);
  t.true(drops > 0 && now <= target && now >= target - drops, `${key} = ${now}, expected ${target}`);
}

test.serial(
  'a tftp-hpa client killed mid-transfer is reaped: gauge back to 0, timeout counted, event says why',
  async (t) => {
    const before = await metrics();
    const client = w().client.spawn('tftp', ['-m', 'binary', SERVER_IP, '-c', 'get', 'big.bin', '/dev/null']);
    t.teardown(() => {
      try {
        if (client.pid !== undefined) process.kill(client.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    });
    await waitFor(
      async () => metric(await metrics(), ACTIVE) === 1,
      'the transfer to be running',
      10_000,
      50,
    );
    await sleep(300);
    t.is(client.exitCode, null, 'tftp-hpa is still fetching when it is killed');
    // `ip netns exec` execs in place: this PID is tftp itself.
    process.kill(client.pid!, 'SIGKILL');
    const killedAt = Date.now();
    const reaped = await waitFor(
      async () =>
        (await timeline(w(), 'type=tftp.transfer')).find(
          (e) => e.data?.file === 'big.bin' && e.data?.outcome === 'timeout',
        ),
      'the vanished transfer to be reaped',
      45_000,
      500,
    );
    t.log(reaped.message, `${Date.now() - killedAt} ms after the kill`);
    t.regex(reaped.message, /timeout — no progress for \d+ ms \(\d+ retransmissions\)/);
    t.true((reaped.data?.bytes as number) > 0 && (reaped.data?.bytes as number) < BIG);
    const after = await metrics();
    t.is(metric(after, ACTIVE), 0);
    t.is(metric(after, QUEUED), 0);
    t.is(
      metric(after, 'inspectord_tftp_transfers_total{outcome="timeout"}'),
      metric(before, 'inspectord_tftp_transfers_total{outcome="timeout"}') + 1,
    );
    t.true(
      metric(after, 'inspectord_tftp_retransmits_total') >
        metric(before, 'inspectord_tftp_retransmits_total'),
    );
  },
);

test.serial(
  `${FUZZ_COUNT} random and mutated DHCP datagrams: malformed counter moves by exactly the undecodable ones`,
  async (t) => {
    const before = await metrics();
    const drops = await udpDrops();
    const started = Date.now();
    const sent = await driver<{ sent: number; undecodable: number }>({
      mode: 'dhcp',
      port: 67,
      count: FUZZ_COUNT,
      seed: 8101,
    });
    t.log(`${sent.sent} sent, ${sent.undecodable} undecodable, ${Date.now() - started} ms`);
    t.true(sent.undecodable > 0);
    await assertCounted(t, 'inspectord_dhcp_errors_total{kind="malformed"}', before, sent.undecodable, drops);
    const received = [...(await metrics()).entries()]
      .filter(([k]) => k.startsWith('inspectord_dhcp_packets_received_total'))
      .reduce((sum, [k, v]) => sum + v - metric(before, k), 0);
    t.true(
      received <= sent.sent && received >= sent.sent - ((await udpDrops()) - drops),
      `${received} received`,
    );
    t.is((await api(w().daemon.url, 'GET', '/healthz')).status, 200);
  },
);

test.serial(
  `${FUZZ_COUNT} random and mutated TFTP datagrams on port 69: malformed counter moves by exactly the undecodable ones`,
  async (t) => {
    const before = await metrics();
    const drops = await udpDrops();
    const sent = await driver<{ sent: number; undecodable: number }>({
      mode: 'tftp-listener',
      port: 69,
      count: FUZZ_COUNT,
      seed: 6901,
    });
    t.log(`${sent.sent} sent, ${sent.undecodable} undecodable`);
    t.true(sent.undecodable > 0);
    await assertCounted(t, 'inspectord_tftp_errors_total{kind="malformed"}', before, sent.undecodable, drops);
    await idle();
    t.is((await api(w().daemon.url, 'GET', '/healthz')).status, 200);
  },
);

test.serial(
  `${FUZZ_COUNT} undecodable datagrams on a live transfer port: counted as malformed, foreign TIDs as unknown_tid`,
  async (t) => {
    const before = await metrics();
    const drops = await udpDrops();
    const sent = await driver<{ undecodable: number; foreign: number }>({
      mode: 'tftp-transfer',
      port: 69,
      count: FUZZ_COUNT,
      seed: 6902,
      file: 'big.bin',
    });
    t.log(sent);
    await assertCounted(t, 'inspectord_tftp_errors_total{kind="malformed"}', before, sent.undecodable, drops);
    await assertCounted(t, 'inspectord_tftp_errors_total{kind="unknown_tid"}', before, sent.foreign, drops);
    await idle();
    const ended = (await timeline(w(), 'type=tftp.transfer')).filter(
      (e) => e.data?.file === 'big.bin' && e.data?.outcome !== 'timeout',
    );
    t.regex(ended.at(-1)?.message ?? '', /fuzz client ends it/);
  },
);

test.serial(
  'after the fuzz the daemon is up and real clients still work (udhcpc lease, tftp-hpa byte-exact)',
  async (t) => {
    const { daemon, client, clientIf } = w();
    t.is((await api(daemon.url, 'GET', '/healthz')).status, 200);
    t.is(daemon.child.exitCode, null);
    const created = await api(daemon.url, 'POST', '/v1/nodes', {
      name: 'after-fuzz',
      ports: [{ address: NODE_MAC }],
    });
    t.is(created.status, 201, created.text);
    t.is((await api(daemon.url, 'POST', '/v1/introspection/after-fuzz?manage_boot=false')).status, 202);
    t.truthy(
      await waitFor(() => dhcp(client, clientIf), 'a lease for the node under introspection', 15_000, 200),
    );
    const dest = join(daemon.stateDir, 'fetched.kernel');
    await client.exec('sh', ['-c', 'tftp -m binary "$0" -c get discovery.kernel "$1" 2>&1', SERVER_IP, dest]);
    t.true((await readFile(dest)).equals(w().kernel));
  },
);

type ProbeReply = {
  reply: { op: string; code?: number; message?: string; options?: Record<string, string> } | null;
  bytes?: number;
};

const rrq = (filename: string, options: Record<string, string> = {}): string =>
  encodeRequest({ op: 'rrq', filename, mode: 'octet', options }).toString('hex');

const hostileNames: Array<[string, string, number]> = [
  ['traversal', '../../../../etc/passwd', 2],
  ['traversal in the middle', 'pxelinux.cfg/../../secret', 2],
  ['traversal with backslashes', '..\\..\\secret', 2],
  ['an absolute path (rooted in the boot root, so not found)', '/etc/passwd', 1],
  ['a percent-encoded traversal (TFTP names are not URL-encoded)', '%2e%2e/%2e%2e/etc/passwd', 1],
  ['a symlink escaping the root', 'link-out', 2],
];

for (const [what, name, code] of hostileNames) {
  test.serial(`TFTP bad input: ${what} is refused with ERROR ${code}`, async (t) => {
    const probe = await driver<ProbeReply>({ mode: 'probe', port: 69, hex: rrq(name) });
    t.like(probe.reply, { op: 'error', code });
  });
}

test.serial(
  'TFTP bad input: blksize above 65464, a huge option and 2,000 options get a small, capped OACK',
  async (t) => {
    const capped = await driver<ProbeReply>({
      mode: 'probe',
      port: 69,
      hex: rrq('discovery.kernel', { blksize: '99999', tsize: '0' }),
    });
    t.like(capped.reply, { op: 'oack', options: { blksize: '1468' } });
    // Too long to be a number at all: ignored (RFC 2347 §2), the transfer falls back to 512 bytes.
    const absurd = await driver<ProbeReply>({
      mode: 'probe',
      port: 69,
      hex: rrq('discovery.kernel', { blksize: '99999999999', tsize: '0' }),
    });
    t.deepEqual(absurd.reply, { op: 'oack', options: { tsize: String(w().kernel.length) } });
    const huge = await driver<ProbeReply>({
      mode: 'probe',
      port: 69,
      hex: rrq('discovery.kernel', { blksize: '1468', ['x'.repeat(30_000)]: 'y'.repeat(30_000) }),
    });
    t.like(huge.reply, { op: 'oack', options: { blksize: '1468' } });
    t.deepEqual(
      Object.keys(huge.reply?.options ?? {}),
      ['blksize'],
      'unknown options are not echoed (RFC 2347 §2)',
    );
    const many: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) many[`opt${i}`] = String(i);
    const crowded = await driver<ProbeReply>({
      mode: 'probe',
      port: 69,
      hex: rrq('discovery.kernel', { ...many, windowsize: '4' }),
    });
    t.like(crowded.reply, { op: 'oack', options: { windowsize: '4' } });
    t.true((crowded.bytes ?? Infinity) < 64);
    await idle();
    t.is((await api(w().daemon.url, 'GET', '/healthz')).status, 200);
  },
);
