// Integration harness: a server namespace running the DHCP server driver and a client namespace
// joined by veth (198.18.0.0/24 direct, 198.19.0.0/16 for the relay path), plus the probe client.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EventInput } from '../../../src/core/events.js';
import { decode, type DhcpPacket } from '../../../src/dhcp/packet.js';
import { defaultBootFiles } from '../../../src/dhcp/pxe.js';
import { Netns, link } from '../../helpers/netns.js';
import { waitFor } from '../../helpers/wait.js';
import type { DriverOptions } from './server-driver.js';

export const SERVER = '198.18.0.1';
export const CLIENT = '198.18.0.2';
export const RELAY_SERVER = '198.19.0.1';
export const RELAY_CLIENT = '198.19.0.2';
export const CLIENT_MAC = '02:00:00:00:c0:01';
const here = fileURLToPath(new URL('.', import.meta.url));
export const driverPath = join(here, 'server-driver.js');
export const probePath = join(here, 'probe-driver.js');

export interface Lab {
  srv: Netns;
  cli: Netns;
  clientIf: string;
  dir: string;
  destroy(): Promise<void>;
}

export async function createLab(): Promise<Lab> {
  const srv = await Netns.create('dhs');
  let cli: Netns | undefined;
  try {
    cli = await Netns.create('dhc');
    const { aIf, bIf } = await link(srv, `${SERVER}/24`, cli, `${CLIENT}/24`, { bMac: CLIENT_MAC });
    await srv.exec('ip', ['addr', 'add', `${RELAY_SERVER}/16`, 'dev', aIf]);
    await cli.exec('ip', ['addr', 'add', `${RELAY_CLIENT}/16`, 'dev', bIf]);
    const dir = mkdtempSync(join(tmpdir(), 'inspectord-dhcp-'));
    const c = cli;
    return {
      srv,
      cli: c,
      clientIf: bIf,
      dir,
      destroy: async () => {
        await c.destroy();
        await srv.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await cli?.destroy();
    await srv.destroy();
    throw error;
  }
}

export function serverOptions(dir: string, over: Partial<DriverOptions> = {}): DriverOptions {
  return {
    serverAddress: SERVER,
    subnets: [
      { cidr: '198.18.0.0/24', rangeStart: '198.18.0.100', rangeEnd: '198.18.0.110', leaseTime: 3600 },
      {
        cidr: '198.19.0.0/16',
        rangeStart: '198.19.1.0',
        rangeEnd: '198.19.255.250',
        leaseTime: 3600,
        serverAddress: RELAY_SERVER,
      },
    ],
    mode: 'full',
    authoritative: true,
    offerTtl: 30,
    declineQuarantine: 600,
    boot: defaultBootFiles,
    leaseFile: join(dir, `leases-${Date.now()}-${Math.random().toString(36).slice(2)}.json`),
    leaseSaveDelayMs: 200,
    ...over,
  };
}

export interface RunningServer {
  child: ChildProcess;
  events: EventInput[];
  lines: Array<Record<string, unknown>>;
  options: DriverOptions;
  waitEvent(pred: (e: EventInput) => boolean, what: string, timeoutMs?: number): Promise<EventInput>;
  stop(): Promise<Record<string, unknown>>;
}

export async function startServer(lab: Lab, options: DriverOptions): Promise<RunningServer> {
  const file = join(lab.dir, `opts-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(options));
  const child = lab.srv.spawn('node', [driverPath, file]);
  const events: EventInput[] = [];
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      const obj = JSON.parse(line) as Record<string, unknown>;
      lines.push(obj);
      if (obj.event) events.push(obj.event as EventInput);
    } catch {
      /* not ours */
    }
  });
  const first = await waitFor(
    () =>
      lines.find((l) => l.ready || l.error) ??
      (child.exitCode !== null ? { exited: child.exitCode } : undefined),
    'DHCP server driver ready',
    10_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\nstderr: ${stderr}`);
  });
  if (!first.ready) throw new Error(`server failed: ${JSON.stringify(first)} ${stderr}`);
  return {
    child,
    events,
    lines,
    options,
    waitEvent: (pred, what, timeoutMs = 10_000) => waitFor(() => events.find(pred), what, timeoutMs),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return waitFor(() => lines.find((l) => l.stopped), 'server stopped', 10_000);
    },
  };
}

export interface ProbeReply {
  from: string;
  port: number;
  packet: DhcpPacket;
}

/** Send crafted datagrams from the client namespace and collect what comes back. */
export async function probe(
  lab: Lab,
  sends: Array<{ buf: Buffer; address?: string; port?: number }>,
  opts: { bindPort?: number; waitMs?: number } = {},
): Promise<ProbeReply[]> {
  const spec = {
    bindPort: opts.bindPort ?? 68,
    waitMs: opts.waitMs ?? 500,
    sends: sends.map((s) => ({
      hex: s.buf.toString('hex'),
      address: s.address ?? SERVER,
      port: s.port ?? 67,
    })),
  };
  const out = await lab.cli.exec('node', [probePath, JSON.stringify(spec)]);
  const { replies } = JSON.parse(out) as { replies: Array<{ from: string; port: number; hex: string }> };
  return replies.flatMap((r) => {
    const d = decode(Buffer.from(r.hex, 'hex'));
    return d.ok && d.packet.op === 2 ? [{ from: r.from, port: r.port, packet: d.packet }] : [];
  });
}
