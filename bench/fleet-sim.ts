// Fleet simulation: N machines booting at once through a real `inspectord serve` (DHCP full mode,
// HTTP boot, nftables PXE filter) in a server namespace; this process runs in the client namespace
// and plays every machine: DHCP DORA (relayed, giaddr = our veth address, one socket on port 67, as
// perfdhcp -l does), GET its iPXE script, the kernel and initramfs it names, POST /v1/continue.
// Run by bench/fleet-bench.sh (builds the namespaces): node dist/bench/fleet-sim.js N SERVER_NS SERVER_IF
import { createSocket } from 'node:dgram';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  MessageType,
  Opt,
  decode,
  encodeRequest,
  getMessageType,
  getServerId,
  optIp,
  optString,
  optU16,
  optU8,
  type DhcpPacket,
} from '../src/dhcp/packet.js';
import { inventoryFor, macOf, must, percentile, pool, procStats, startServe } from './fleet-common.js';

const N = Number(process.argv[2] ?? 100);
const SERVER_NS = process.argv[3] ?? '';
const SERVER_IF = process.argv[4] ?? '';
const CONCURRENCY = Number(process.env['FLEET_CONCURRENCY'] ?? 64);
const KERNEL_MIB = Number(process.env['FLEET_KERNEL_MIB'] ?? 8);
const INITRD_MIB = Number(process.env['FLEET_INITRD_MIB'] ?? 10);
const SERVER_IP = '198.18.96.1';
const RELAY_IP = '198.18.96.2';
const PORT = 8050;
const BASE = `http://${SERVER_IP}:${PORT}`;
if (!SERVER_NS || !SERVER_IF)
  throw new Error('usage: fleet-sim.js N SERVER_NS SERVER_IF (see fleet-bench.sh)');

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

function request(i: number, xid: number, type: number, extra: Array<[number, Buffer]>): Buffer {
  const chaddr = Buffer.from(macOf(i).replace(/:/g, ''), 'hex');
  return encodeRequest({
    htype: 1,
    hlen: 6,
    hops: 1,
    xid,
    flags: 0,
    giaddr: RELAY_IP,
    chaddr,
    options: [
      [Opt.MESSAGE_TYPE, optU8(type)],
      ...extra,
      [Opt.VENDOR_CLASS, optString('PXEClient:Arch:00007:UNDI:003016')],
      [93, optU16(7)], // RFC 4578 §2.1: client system architecture, EFI x64
      [77, optString('iPXE')], // the iPXE stage of the chain: the server answers with the script URL
    ],
  });
}

async function dora(i: number): Promise<string> {
  const xid = (0x10000000 + i * 2) >>> 0;
  const offer = await exchange(xid, request(i, xid, MessageType.DISCOVER, []), MessageType.OFFER);
  const server = getServerId(offer) ?? SERVER_IP;
  const xid2 = xid + 1;
  const req = request(i, xid2, MessageType.REQUEST, [
    [Opt.REQUESTED_IP, optIp(offer.yiaddr)],
    [Opt.SERVER_ID, optIp(server)],
  ]);
  await exchange(xid2, req, MessageType.ACK);
  return offer.yiaddr;
}

// ------------------------------------------------------------------------------ HTTP
async function drain(url: string): Promise<number> {
  const r = await fetch(url);
  if (r.status !== 200 || !r.body) throw new Error(`GET ${url} → ${r.status}`);
  let bytes = 0;
  for await (const chunk of r.body) bytes += (chunk as Uint8Array).byteLength;
  return bytes;
}

/** Aggregate HTTP throughput on its own: `clients` concurrent fetches of kernel+initramfs. */
async function httpAggregate(clients: number, rounds: number): Promise<number> {
  const t = performance.now();
  let bytes = 0;
  await pool(clients * rounds, clients, async () => {
    // Not `bytes += await …`: that reads `bytes` before the await and loses concurrent additions.
    const k = await drain(`${BASE}/boot/files/discovery.kernel`);
    const r = await drain(`${BASE}/boot/files/discovery.initramfs`);
    bytes += k + r;
  });
  return bytes / ((performance.now() - t) / 1000);
}

// ------------------------------------------------------------------------------ run
const stateDir = await mkdtemp(join(tmpdir(), 'inspectord-fleet-'));
await mkdir(join(stateDir, 'tftp'), { recursive: true });
await writeFile(join(stateDir, 'tftp', 'discovery.kernel'), randomBytes(KERNEL_MIB * 1024 * 1024));
await writeFile(join(stateDir, 'tftp', 'discovery.initramfs'), randomBytes(INITRD_MIB * 1024 * 1024));
const daemon = await startServe(
  {
    DEFAULT: {
      listen_address: '0.0.0.0',
      listen_port: PORT,
      state_dir: stateDir,
      log_level: 'warn',
      timeout: 3600,
    },
    ipmi: { enabled: false },
    processing: { callback_auth: 'none' },
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
  },
  { stateDir, url: BASE, netns: SERVER_NS },
);
const failures: string[] = [];
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
  await new Promise((r) => setTimeout(r, 1000));
  console.log(
    `setup: ${N} nodes enrolled and under introspection in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  // The transport on its own first (same daemon, same run): best of a few client counts.
  const aggregates: Record<number, number> = {};
  for (const clients of [16, 64]) aggregates[clients] = await httpAggregate(clients, 1);
  const best = Math.max(...Object.values(aggregates));
  const mib = (b: number): string => (b / 1024 / 1024).toFixed(0);
  console.log(
    `HTTP aggregate on its own (kernel ${KERNEL_MIB} MiB + initramfs ${INITRD_MIB} MiB per client): ` +
      Object.entries(aggregates)
        .map(([c, v]) => `${c} clients ${mib(v)} MiB/s`)
        .join(', '),
  );

  const phases = {
    dhcp: [] as number[],
    config: [] as number[],
    files: [] as number[],
    callback: [] as number[],
  };
  let served = 0;
  const before = procStats(daemon.pid);
  const tStorm = performance.now();
  await pool(N, CONCURRENCY, async (i) => {
    const mac = macOf(i);
    try {
      let t = performance.now();
      const ip = await dora(i);
      phases.dhcp.push(performance.now() - t);
      t = performance.now();
      const r = await fetch(`${BASE}/boot/ipxe/${mac}.ipxe`);
      const script = await r.text();
      if (r.status !== 200) throw new Error(`iPXE script → ${r.status}`);
      served += Buffer.byteLength(script);
      phases.config.push(performance.now() - t);
      const kernel = /^kernel .*? (http:\/\/\S+)/m.exec(script)?.[1];
      const initrd = /^initrd .*? (http:\/\/\S+)/m.exec(script)?.[1];
      if (!kernel || !initrd) throw new Error(`no kernel/initrd URL in the script: ${script}`);
      t = performance.now();
      const k = await drain(kernel);
      const r2 = await drain(initrd);
      served += k + r2;
      phases.files.push(performance.now() - t);
      t = performance.now();
      const body = JSON.stringify(inventoryFor(i, ip));
      const c = await fetch(`${BASE}/v1/continue`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = await c.text();
      if (c.status !== 200) throw new Error(`continue → ${c.status}: ${text.slice(0, 200)}`);
      phases.callback.push(performance.now() - t);
    } catch (e) {
      failures.push(`${mac}: ${(e as Error).message}`);
    }
  });
  const total = (performance.now() - tStorm) / 1000;
  const after = procStats(daemon.pid);
  let finished = 0;
  await pool(N, 16, async (i) => {
    const s = (await must(BASE, 'GET', `/v1/introspection/${uuids[i]}`)) as {
      finished: boolean;
      error: unknown;
    };
    if (s.finished && !s.error) finished += 1;
  });
  const ideal = served / best;
  console.log(
    `storm: ${N} machines (at most ${CONCURRENCY} booting at once) all finished in ${total.toFixed(2)} s; ` +
      `${finished}/${N} introspections finished OK; failures ${failures.length}`,
  );
  for (const [name, xs] of Object.entries(phases)) {
    xs.sort((a, b) => a - b);
    console.log(
      `  ${name.padEnd(8)} p50 ${percentile(xs, 50).toFixed(1)} ms, p90 ${percentile(xs, 90).toFixed(1)} ms, ` +
        `p99 ${percentile(xs, 99).toFixed(1)} ms, max ${(xs.at(-1) ?? NaN).toFixed(1)} ms (n=${xs.length})`,
    );
  }
  console.log(
    `bytes served ${mib(served)} MiB; at the best aggregate (${mib(best)} MiB/s) that is ${ideal.toFixed(2)} s; ` +
      `ratio total / ideal = ${(total / ideal).toFixed(2)}× (goal ≤ 1.2×)`,
  );
  console.log(
    `daemon (pid ${daemon.pid}): CPU ${(after.cpu - before.cpu).toFixed(2)} s during the storm ` +
      `(${(((after.cpu - before.cpu) / total) * 100).toFixed(0)} % of one core), peak RSS (VmHWM) ${after.hwmMiB.toFixed(0)} MiB`,
  );
  for (const f of failures.slice(0, 5)) console.log(`  failure: ${f}`);
  if (failures.length > 0 || finished !== N) process.exitCode = 1;
} finally {
  sock.close();
  await daemon.stop();
  await rm(stateDir, { recursive: true, force: true });
}
