// Fleet simulation: N machines booting at once through a real `inspectord serve` (DHCP full mode,
// TFTP or HTTP boot, nftables PXE filter) in a server namespace; this process runs in the client
// namespace and plays every machine: DHCP DORA (relayed, giaddr = our veth address, one socket on
// port 67, as perfdhcp -l does), then either
//   tftp: pxelinux.0 and ldlinux.c32, pxelinux.cfg/01-<mac> (then pxelinux's fallbacks), the kernel
//         and initramfs it names, all over TFTP from the machine's leased address, or
//   http: its iPXE script, the kernel and initramfs it names over HTTP,
// and POSTs its inventory to /v1/continue with the token its boot config carries. FLEET_KILL=k
// kill -9s the daemon k times at seeded random moments, restarts it, and checks consistency.
// Run by bench/fleet-bench.sh (builds the namespaces):
//   node dist/bench/fleet-sim.js N SERVER_NS SERVER_IF CLIENT_IF
// Environment: FLEET_TRANSPORT=tftp|http (http), FLEET_CONCURRENCY (64), FLEET_KERNEL_MIB (8),
// FLEET_INITRD_MIB (10), FLEET_TFTP_BLKSIZE (1408), FLEET_TFTP_WINDOWSIZE (1), FLEET_KILL (0),
// FLEET_SEED (random), FLEET_KILL_CALLBACK=1 (the last kill while callbacks are in flight), FLEET_BASELINE=0 (skip the transport-alone measurement), FLEET_STATE_DIR
// (use and keep this state dir). The last output line is `FLEET-RESULT <json>`.
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import {
  MessageType,
  Opt,
  decode,
  encodeRequest,
  getBootFileName,
  getLeaseTime,
  getMessageType,
  getServerId,
  ipToInt,
  optIp,
  optString,
  optU16,
  optU8,
  type DhcpPacket,
} from '../src/dhcp/packet.js';
import type { IniSections } from '../test/helpers/daemon.js';
import {
  inventoryFor,
  macOf,
  must,
  percentile,
  pool,
  procStats,
  startServe,
  type Serve,
} from './fleet-common.js';
import { TftpError, tftpGet } from './fleet-tftp.js';
import {
  ackConflicts,
  finishedEvents,
  introspectionProblems,
  leaseProblems,
  listIntrospections,
  nftTables,
  readStateFile,
  tableProblems,
} from './fleet-verify.js';

const run = promisify(execFile);
const N = Number(process.argv[2] ?? 100);
const SERVER_NS = process.argv[3] ?? '';
const SERVER_IF = process.argv[4] ?? '';
const CLIENT_IF = process.argv[5] ?? '';
const env = process.env;
const TRANSPORT = env['FLEET_TRANSPORT'] ?? 'http';
const CONCURRENCY = Number(env['FLEET_CONCURRENCY'] ?? 64);
const KERNEL_MIB = Number(env['FLEET_KERNEL_MIB'] ?? 8);
const INITRD_MIB = Number(env['FLEET_INITRD_MIB'] ?? 10);
// pxelinux (syslinux 6 core/fs/pxe) asks blksize 1408 + tsize and knows no windowsize; the PXE
// ROM that loads pxelinux.0 (iPXE here, as in QEMU/most NIC ROMs) asks blksize 1432 + tsize.
const BLKSIZE = Number(env['FLEET_TFTP_BLKSIZE'] ?? 1408);
const ROM_BLKSIZE = 1432;
const WINDOWSIZE = Number(env['FLEET_TFTP_WINDOWSIZE'] ?? 1);
const KILLS = Number(env['FLEET_KILL'] ?? 0);
const KILL_CALLBACK = env['FLEET_KILL_CALLBACK'] === '1';
const SEED = Number(env['FLEET_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const BASELINE = env['FLEET_BASELINE'] !== '0';
const SERVER_IP = '198.18.96.1';
const RELAY_IP = '198.18.96.2';
const PORT = 8050;
const BASE = `http://${SERVER_IP}:${PORT}`;
/** A machine whose firmware/loader fails reboots into PXE again, at most this many times. */
const MAX_BOOTS = 12;
if (!SERVER_NS || !SERVER_IF || !CLIENT_IF || !['tftp', 'http'].includes(TRANSPORT))
  throw new Error('usage: FLEET_TRANSPORT=tftp|http fleet-sim.js N SERVER_NS SERVER_IF CLIENT_IF');

/** mulberry32: a small seeded PRNG, so a kill schedule can be replayed from the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const killRandom = prng(SEED);
/** Callback POSTs sent so far (FLEET_KILL_CALLBACK waits for the first). */
let callbacksStarted = 0;
let callbacksInFlight = 0;
/** Steps done by all machines (DHCP ACK, each file, each callback attempt): the kill clock. */
let progress = 0;
const STEPS = TRANSPORT === 'tftp' ? 7 : 5;
const jitter = prng(SEED ^ 0x5bd1e995);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------ DHCP (relayed)
const sock = createSocket({ type: 'udp4', reuseAddr: true });
const waiting = new Map<number, (p: DhcpPacket) => void>();
sock.on('message', (msg) => {
  const d = decode(msg);
  if (!d.ok) return;
  const resolve = waiting.get(d.packet.xid);
  if (resolve) {
    waiting.delete(d.packet.xid);
    resolve(d.packet);
  }
});
await new Promise<void>((r) => sock.bind(67, RELAY_IP, () => r()));

function exchange(xid: number, packet: Buffer, want: number): Promise<DhcpPacket> {
  // A relay retransmits like a client would (RFC 2131 §4.1: 4 s, doubling); 1 s here, 4 tries.
  return new Promise((resolve, reject) => {
    let tries = 0;
    let timer: NodeJS.Timeout;
    const send = (): void => {
      if (tries++ === 4) {
        waiting.delete(xid);
        reject(new Error(`no DHCP ${want === MessageType.OFFER ? 'OFFER' : 'ACK'} after 4 tries`));
        return;
      }
      sock.send(packet, 67, SERVER_IP);
      timer = setTimeout(send, 1000);
    };
    waiting.set(xid, (p) => {
      clearTimeout(timer);
      if (getMessageType(p) === want) resolve(p);
      else reject(new Error(`DHCP type ${getMessageType(p)} instead of ${want}`));
    });
    send();
  });
}

/** TFTP: a BIOS PXE ROM (arch 0, no user class). HTTP: the iPXE stage of an EFI chain. */
function request(i: number, xid: number, type: number, extra: Array<[number, Buffer]>): Buffer {
  const chaddr = Buffer.from(macOf(i).replace(/:/g, ''), 'hex');
  const client: Array<[number, Buffer]> =
    TRANSPORT === 'tftp'
      ? [
          [Opt.VENDOR_CLASS, optString('PXEClient:Arch:00000:UNDI:002001')],
          [93, optU16(0)], // RFC 4578 §2.1: client system architecture, x86 BIOS
        ]
      : [
          [Opt.VENDOR_CLASS, optString('PXEClient:Arch:00007:UNDI:003016')],
          [93, optU16(7)], // RFC 4578 §2.1: EFI x64
          [77, optString('iPXE')], // the iPXE stage: the server answers with the script URL
        ];
  return encodeRequest({
    htype: 1,
    hlen: 6,
    hops: 1,
    xid,
    flags: 0,
    giaddr: RELAY_IP,
    chaddr,
    options: [[Opt.MESSAGE_TYPE, optU8(type)], ...extra, ...client],
  });
}

interface Lease {
  ip: string;
  bootFile: string;
  tftpServer: string;
}
/** Every DHCPACK any machine got, in order (the lease consistency check replays them). */
const acks: Array<{ mac: string; address: string; at: number; leaseSec: number }> = [];

async function dora(i: number, boot: number): Promise<Lease> {
  // Distinct per machine and per boot: a rebooted machine starts a new transaction.
  const xid = (0x10000000 + i * 64 + boot * 2) >>> 0;
  const offer = await exchange(xid, request(i, xid, MessageType.DISCOVER, []), MessageType.OFFER);
  const server = getServerId(offer) ?? SERVER_IP;
  const req = request(i, xid + 1, MessageType.REQUEST, [
    [Opt.REQUESTED_IP, optIp(offer.yiaddr)],
    [Opt.SERVER_ID, optIp(server)],
  ]);
  const ack = await exchange(xid + 1, req, MessageType.ACK);
  acks.push({ mac: macOf(i), address: ack.yiaddr, at: Date.now(), leaseSec: getLeaseTime(ack) ?? 0 });
  progress += 1;
  return {
    ip: ack.yiaddr,
    // PXE spec §2.4: the boot file is the `file` field, or option 67 when `file` is overloaded.
    bootFile: ack.file || getBootFileName(ack) || '',
    tftpServer: ack.siaddr !== '0.0.0.0' ? ack.siaddr : server,
  };
}

/** The machine now owns its leased address: add it to our veth so TFTP can come from it. */
const configured = new Set<string>();
async function ownAddress(ip: string): Promise<void> {
  if (configured.has(ip)) return;
  try {
    await run('ip', ['addr', 'add', `${ip}/32`, 'dev', CLIENT_IF]);
  } catch (error) {
    if (!String((error as { stderr?: string }).stderr ?? error).includes('File exists')) throw error;
  }
  configured.add(ip);
}

// ------------------------------------------------------------------------------ boot loaders
interface BootConfig {
  callbackUrl: string;
  token: string | undefined;
  bytes: number;
}

function configValue(text: string, key: string): string | undefined {
  return new RegExp(`(?:^|\\s)${key}=(\\S+)`).exec(text)?.[1];
}

/** pxelinux's config search (syslinux doc/pxelinux.txt): 01-<mac>, hex IP prefixes, default. */
function pxelinuxCandidates(mac: string, ip: string): string[] {
  const hex = (ipToInt(ip) >>> 0).toString(16).toUpperCase().padStart(8, '0');
  const names = [`pxelinux.cfg/01-${mac.replace(/:/g, '-')}`];
  for (let len = 8; len >= 1; len -= 1) names.push(`pxelinux.cfg/${hex.slice(0, len)}`);
  names.push('pxelinux.cfg/default');
  return names;
}

/** Counts a finished step for the kill clock. */
async function step<T>(work: Promise<T>): Promise<T> {
  const value = await work;
  progress += 1;
  return value;
}

async function tftpBoot(i: number, lease: Lease, t: Timings): Promise<BootConfig> {
  await ownAddress(lease.ip);
  const common = { server: lease.tftpServer, localAddress: lease.ip, timeoutMs: 1000, retries: 5 };
  const loader = { ...common, blksize: BLKSIZE, tsize: true, windowsize: WINDOWSIZE };
  if (!lease.bootFile) throw new Error('the DHCP answer names no boot file');
  let mark = performance.now();
  // The ROM loads the NBP the offer names; pxelinux then loads its core module.
  let bytes = (await step(tftpGet({ ...common, blksize: ROM_BLKSIZE, tsize: true, file: lease.bootFile })))
    .bytes;
  bytes += (await step(tftpGet({ ...loader, file: 'ldlinux.c32' }))).bytes;
  let config: Buffer | undefined;
  for (const name of pxelinuxCandidates(macOf(i), lease.ip)) {
    try {
      const got = await step(tftpGet({ ...loader, file: name, keep: true }));
      config = got.data;
      bytes += got.bytes;
      break;
    } catch (error) {
      if (!(error instanceof TftpError && error.code === 1)) throw error; // only "not found" falls back
    }
  }
  if (!config) throw new Error('no pxelinux config found');
  const text = config.toString('latin1');
  t.config = performance.now() - mark;
  const kernel = /^\s*KERNEL\s+(\S+)/im.exec(text)?.[1];
  const initrd = configValue(text, 'initrd');
  const callbackUrl = configValue(text, 'ipa-inspection-callback-url');
  if (!kernel || !initrd || !callbackUrl) throw new Error(`kernel/initrd/callback missing in: ${text}`);
  mark = performance.now();
  bytes += (await step(tftpGet({ ...loader, file: kernel }))).bytes;
  bytes += (await step(tftpGet({ ...loader, file: initrd }))).bytes;
  t.files = performance.now() - mark;
  return { callbackUrl, token: configValue(text, 'inspectord-token'), bytes };
}

async function drain(url: string): Promise<number> {
  const r = await fetch(url);
  if (r.status !== 200 || !r.body) throw new Error(`GET ${url} → ${r.status}`);
  let bytes = 0;
  for await (const chunk of r.body) bytes += (chunk as Uint8Array).byteLength;
  progress += 1;
  return bytes;
}

async function httpBoot(i: number, t: Timings): Promise<BootConfig> {
  let mark = performance.now();
  const r = await fetch(`${BASE}/boot/ipxe/${macOf(i)}.ipxe`);
  const script = await r.text();
  if (r.status !== 200) throw new Error(`iPXE script → ${r.status}`);
  t.config = performance.now() - mark;
  const kernel = /^kernel .*? (http:\/\/\S+)/m.exec(script)?.[1];
  const initrd = /^initrd .*? (http:\/\/\S+)/m.exec(script)?.[1];
  const callbackUrl = configValue(script, 'ipa-inspection-callback-url');
  if (!kernel || !initrd || !callbackUrl) throw new Error(`kernel/initrd/callback missing in: ${script}`);
  mark = performance.now();
  const bytes = Buffer.byteLength(script) + (await drain(kernel)) + (await drain(initrd));
  t.files = performance.now() - mark;
  return { callbackUrl, token: configValue(script, 'inspectord-token'), bytes };
}

// ------------------------------------------------------------------------------ the ramdisk
/** The ramdisk gave up or was refused: it powers off; no reboot into PXE follows. */
class CallbackFailed extends Error {}
const callbackStats = { retried: 0, refusedAfterRetry: 0 };

/**
 * As assets/ramdisk/init: connection errors, 5xx and 409 are retried, 5 attempts, waits 5 s × 1.5ⁿ
 * in shell integer arithmetic (5, 7, 10, 15 s); another 4xx ends it. A 4xx after a retry whose
 * earlier attempt may have been processed (response lost in the kill) is counted, not failed:
 * whether the node finished is checked on the server.
 */
async function ramdisk(i: number, ip: string, cfg: BootConfig): Promise<void> {
  const body = JSON.stringify(inventoryFor(i, ip));
  let waitS = 5;
  for (let attempt = 1; ; attempt += 1) {
    let outcome: string;
    callbacksStarted += 1;
    callbacksInFlight += 1;
    let open = true;
    const answered = (): void => {
      if (open) callbacksInFlight -= 1;
      open = false;
    };
    try {
      const r = await fetch(cfg.callbackUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(cfg.token ? { 'x-inspectord-token': cfg.token } : {}),
        },
        body,
        signal: AbortSignal.timeout(60_000),
      });
      const text = await r.text();
      answered();
      progress += 1;
      if (r.status === 200) return;
      if (r.status < 500 && r.status !== 409) {
        if (attempt > 1) {
          callbackStats.refusedAfterRetry += 1;
          return;
        }
        throw new CallbackFailed(`continue → ${r.status}: ${text.slice(0, 200)}`);
      }
      outcome = `HTTP ${r.status}`;
    } catch (error) {
      if (error instanceof CallbackFailed) throw error;
      answered();
      outcome = (error as Error).message;
    }
    if (attempt >= 5) throw new CallbackFailed(`continue: gave up after 5 attempts (last: ${outcome})`);
    callbackStats.retried += 1;
    await sleep(waitS * 1000);
    waitS = Math.min(30, Math.floor((waitS * 3) / 2));
  }
}

// ------------------------------------------------------------------------------ one machine
interface Timings {
  dhcp?: number;
  config?: number;
  files?: number;
  callback?: number;
}
const phases = {
  dhcp: [] as number[],
  config: [] as number[],
  files: [] as number[],
  callback: [] as number[],
};
let served = 0;
let reboots = 0;
const rebootReasons = new Map<string, number>();

async function machine(i: number): Promise<void> {
  for (let boot = 0; ; boot += 1) {
    const t: Timings = {};
    let stage = 'dhcp';
    try {
      let mark = performance.now();
      const lease = await dora(i, boot);
      t.dhcp = performance.now() - mark;
      stage = 'boot';
      const cfg = TRANSPORT === 'tftp' ? await tftpBoot(i, lease, t) : await httpBoot(i, t);
      served += cfg.bytes;
      stage = 'callback';
      mark = performance.now();
      await ramdisk(i, lease.ip, cfg);
      t.callback = performance.now() - mark;
      for (const k of Object.keys(phases) as Array<keyof Timings>) {
        const v = t[k];
        if (v !== undefined) phases[k].push(v);
      }
      return;
    } catch (error) {
      // The firmware's boot failed (no DHCP answer, TFTP/HTTP error or timeout): it boots from the
      // network again, as a PXE-first boot order or a BMC-driven reboot does.
      if (error instanceof CallbackFailed || boot + 1 >= MAX_BOOTS) throw error;
      reboots += 1;
      const reason = `${stage}: ${(error as Error).message.replace(/[0-9a-f:.-]{8,}|(?<=block )\d+/g, '…')}`;
      rebootReasons.set(reason, (rebootReasons.get(reason) ?? 0) + 1);
      await sleep(1000 + jitter() * 1000);
    }
  }
}

// ------------------------------------------------------------------------------ baseline
/** Aggregate transport throughput on its own: `clients` at once fetching kernel + initramfs once. */
async function aggregate(clients: number): Promise<number> {
  const addresses: string[] = [];
  if (TRANSPORT === 'tftp') {
    // Distinct sources (outside the DHCP range), like the machines: the server caps per address.
    for (let c = 0; c < clients; c += 1) addresses.push(`198.18.96.${10 + c}`);
    for (const a of addresses) await ownAddress(a);
  }
  const t = performance.now();
  let bytes = 0;
  await pool(clients, clients, async (c) => {
    let got = 0;
    if (TRANSPORT === 'tftp') {
      const o = { server: SERVER_IP, localAddress: addresses[c] as string, blksize: BLKSIZE, tsize: true };
      got += (await tftpGet({ ...o, windowsize: WINDOWSIZE, file: 'discovery.kernel' })).bytes;
      got += (await tftpGet({ ...o, windowsize: WINDOWSIZE, file: 'discovery.initramfs' })).bytes;
    } else {
      got += await drain(`${BASE}/boot/files/discovery.kernel`);
      got += await drain(`${BASE}/boot/files/discovery.initramfs`);
    }
    bytes += got; // not `bytes += await …`: that reads `bytes` before the await
  });
  return bytes / ((performance.now() - t) / 1000);
}

// ------------------------------------------------------------------------------ run
const keepState = env['FLEET_STATE_DIR'];
const stateDir = keepState ?? (await mkdtemp(join(tmpdir(), 'inspectord-fleet-')));
await mkdir(join(stateDir, 'tftp'), { recursive: true });
await writeFile(
  join(stateDir, 'tftp', 'discovery.kernel'),
  randomBytes(Math.round(KERNEL_MIB * 1024 * 1024)),
);
await writeFile(
  join(stateDir, 'tftp', 'discovery.initramfs'),
  randomBytes(Math.round(INITRD_MIB * 1024 * 1024)),
);
const sections: IniSections = {
  DEFAULT: {
    listen_address: '0.0.0.0',
    listen_port: PORT,
    state_dir: stateDir,
    log_level: 'warn',
    timeout: 3600,
  },
  ipmi: { enabled: false },
  // The default callback_auth (token_or_discovery): the boot config carries the one-time token.
  dhcp: {
    enabled: true,
    interface_address: SERVER_IP,
    subnet: '198.18.96.0/21',
    range_start: '198.18.97.1',
    range_end: '198.18.103.254',
    lease_time: 3600,
  },
  tftp: { enabled: true },
  http_boot: { enabled: true },
  pxe_filter: { driver: 'nftables', interface: SERVER_IF, sync_period: 15 },
};
const serveOpts = { stateDir, url: BASE, netns: SERVER_NS };
let daemon: Serve = await startServe(sections, serveOpts);
const failures: string[] = [];
const problems: string[] = [];
const kills: Array<{
  point: number;
  step: number;
  afterMs: number;
  atMs: number;
  restartMs: number;
  stateFile: string[];
}> = [];
const mib = (b: number): string => (b / 1024 / 1024).toFixed(0);
/** /proc/loadavg's 1/5/15-minute averages: the box is shared, numbers are noisy. */
function readLoad(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
let cpuBase = 0; // CPU of killed daemons during the storm
let peakHwm = 0;
const result: Record<string, unknown> = { n: N, transport: TRANSPORT, seed: SEED, kills: KILLS };
try {
  const t0 = performance.now();
  const uuids: string[] = [];
  await pool(N, 16, async (i) => {
    const node = (await must(BASE, 'POST', '/v1/nodes', {
      name: `m${i}`,
      ports: [{ address: macOf(i) }],
    })) as {
      uuid: string;
    };
    uuids[i] = node.uuid;
  });
  await pool(N, 16, async (i) => {
    await must(BASE, 'POST', `/v1/introspection/${uuids[i]}?manage_boot=false`);
  });
  // Let the nftables sync settle (allow set with N MACs) before the storm.
  await sleep(1000);
  console.log(
    `setup: ${N} nodes enrolled and under introspection in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  // The transport on its own first (same daemon, same run): best of a few client counts.
  let best = NaN;
  if (BASELINE) {
    const aggregates: Record<number, number> = {};
    for (const clients of [16, 64]) aggregates[clients] = await aggregate(clients);
    best = Math.max(...Object.values(aggregates));
    console.log(
      `${TRANSPORT.toUpperCase()} aggregate on its own (kernel ${KERNEL_MIB} MiB + initramfs ${INITRD_MIB} MiB per ` +
        `client${TRANSPORT === 'tftp' ? `, blksize ${BLKSIZE}, windowsize ${WINDOWSIZE}` : ''}): ` +
        Object.entries(aggregates)
          .map(([c, v]) => `${c} clients ${mib(v)} MiB/s`)
          .join(', ') +
        `; load ${readLoad()}`,
    );
  }

  const before = procStats(daemon.pid);
  const tStorm = performance.now();
  progress = 0;
  let stormDone = false;
  // The chaos monkey: k kill points drawn (seeded) over the storm's steps (DHCP ACKs, files,
  // callbacks: STEPS per machine), so every phase can be hit however long the storm takes; at each,
  // a further seeded delay of 0–250 ms, then SIGKILL and a restart the same way.
  const points = Array.from({ length: KILLS }, () =>
    Math.floor((0.05 + killRandom() * 0.9) * N * STEPS),
  ).sort((a, b) => a - b);
  const killer = (async () => {
    for (let k = 0; k < KILLS && !stormDone; k += 1) {
      // FLEET_KILL_CALLBACK=1: the last kill lands while callbacks are being processed (a third of
      // them sent, one in flight, + 0–5 ms).
      const inCallbacks = KILL_CALLBACK && k === KILLS - 1;
      const due = (): boolean =>
        inCallbacks
          ? callbacksStarted >= Math.ceil(N / 3) && callbacksInFlight > 0
          : progress >= (points[k] as number);
      while (!stormDone && !due()) await sleep(1);
      const afterMs = Math.round(killRandom() * (inCallbacks ? 5 : 250));
      await sleep(afterMs);
      if (stormDone) break;
      const s = procStats(daemon.pid);
      cpuBase += s.cpu - (k === 0 ? before.cpu : 0);
      peakHwm = Math.max(peakHwm, s.hwmMiB);
      const exited = new Promise((r) => daemon.child.once('exit', r));
      const stepAt = progress;
      process.kill(daemon.pid, 'SIGKILL');
      await exited;
      const atMs = performance.now() - tStorm;
      const stateFile = (await readStateFile(stateDir)).problems;
      problems.push(...stateFile.map((p) => `after kill ${k + 1}: ${p}`));
      const tRestart = performance.now();
      daemon = await startServe(sections, serveOpts);
      const restartMs = performance.now() - tRestart;
      kills.push({
        point: points[k] as number,
        step: stepAt,
        afterMs,
        atMs: Math.round(atMs),
        restartMs: Math.round(restartMs),
        stateFile,
      });
      console.log(
        `kill ${k + 1}/${KILLS}: SIGKILL at step ${stepAt}/${N * STEPS} (point ${points[k]} + ${afterMs} ms), ` +
          `${(atMs / 1000).toFixed(2)} s into the storm; restarted in ${restartMs.toFixed(0)} ms; ` +
          `state file ${stateFile.length ? 'BAD' : 'ok'}`,
      );
    }
  })();
  await pool(N, CONCURRENCY, async (i) => {
    try {
      await machine(i);
    } catch (e) {
      failures.push(`${macOf(i)}: ${(e as Error).message}`);
    }
  });
  stormDone = true;
  const total = (performance.now() - tStorm) / 1000;
  await killer;
  const after = procStats(daemon.pid);
  const cpu = cpuBase + after.cpu - (kills.length > 0 ? 0 : before.cpu);
  peakHwm = Math.max(peakHwm, after.hwmMiB);

  // Consistency, while the (last) daemon runs: the API list and the nft table.
  const list = await listIntrospections(BASE);
  problems.push(...introspectionProblems(list, uuids));
  const tables = await nftTables(SERVER_NS);
  problems.push(...tableProblems(tables));
  const events = await finishedEvents(BASE, uuids);
  for (const u of events.duplicated)
    problems.push(`node ${u} has more than one introspection.finished event`);
  const finished = list.filter((e) => uuids.includes(e.uuid) && e.finished && !e.error).length;

  const ideal = served / best;
  console.log(
    `storm (${TRANSPORT}): ${N} machines (at most ${CONCURRENCY} booting at once) all done in ${total.toFixed(2)} s; ` +
      `${finished}/${N} introspections finished OK; failures ${failures.length}; load ${readLoad()}`,
  );
  for (const [name, xs] of Object.entries(phases)) {
    xs.sort((a, b) => a - b);
    console.log(
      `  ${name.padEnd(8)} p50 ${percentile(xs, 50).toFixed(1)} ms, p90 ${percentile(xs, 90).toFixed(1)} ms, ` +
        `p99 ${percentile(xs, 99).toFixed(1)} ms, max ${(xs.at(-1) ?? NaN).toFixed(1)} ms (n=${xs.length})`,
    );
  }
  if (BASELINE) {
    console.log(
      `bytes served ${mib(served)} MiB; at the best aggregate (${mib(best)} MiB/s) that is ${ideal.toFixed(2)} s; ` +
        `ratio total / ideal = ${(total / ideal).toFixed(2)}× (goal ≤ 1.2×)`,
    );
  } else console.log(`bytes served ${mib(served)} MiB`);
  console.log(
    `daemon: CPU ${cpu.toFixed(2)} s during the storm (${((cpu / total) * 100).toFixed(0)} % of one core), ` +
      `peak RSS (VmHWM) ${peakHwm.toFixed(0)} MiB${kills.length ? ` (over ${kills.length + 1} daemon lives)` : ''}`,
  );
  if (reboots > 0 || callbackStats.retried > 0) {
    console.log(
      `retries: ${reboots} machine reboot(s) into PXE, ${callbackStats.retried} callback retr${callbackStats.retried === 1 ? 'y' : 'ies'}, ` +
        `${callbackStats.refusedAfterRetry} retried callback(s) refused because the first had been processed`,
    );
    for (const [reason, n] of [...rebootReasons].sort((a, b) => b[1] - a[1]).slice(0, 6))
      console.log(`  reboot ×${n}: ${reason}`);
  }
  Object.assign(result, {
    total,
    served,
    best,
    ratio: total / ideal,
    finished,
    failures,
    phases: Object.fromEntries(
      Object.entries(phases).map(([k, xs]) => [
        k,
        { p50: percentile(xs, 50), p99: percentile(xs, 99), n: xs.length },
      ]),
    ),
    cpu,
    peakHwmMiB: peakHwm,
    reboots,
    callback: callbackStats,
    killsDone: kills,
    tables,
    finishedEventsMissing: events.missing,
    uuids,
    macs: uuids.map((_, i) => macOf(i)),
  });
} finally {
  sock.close();
  await daemon.stop();
}
// After a clean stop the leases are flushed: the state file as the next start would load it.
const state = await readStateFile(stateDir);
problems.push(...state.problems);
const macs = (result['macs'] as string[] | undefined) ?? [];
if (state.doc) problems.push(...leaseProblems((state.doc['leases'] as never[]) ?? [], macs, Date.now()));
const conflicts = ackConflicts(acks);
problems.push(...conflicts);
result['problems'] = problems;
for (const f of failures.slice(0, 5)) console.log(`  failure: ${f}`);
for (const p of problems.slice(0, 10)) console.log(`  consistency problem: ${p}`);
if (KILLS > 0)
  console.log(
    `consistency (seed ${SEED}): ${problems.length === 0 ? 'all checks passed' : `${problems.length} problem(s)`}`,
  );
if (!keepState) await rm(stateDir, { recursive: true, force: true });
console.log(`FLEET-RESULT ${JSON.stringify({ ...result, uuids: undefined, macs: undefined })}`);
if (failures.length > 0 || problems.length > 0 || result['finished'] !== N) process.exitCode = 1;
