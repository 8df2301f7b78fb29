// Shared world of the netboot integration tests: `inspectord serve` inside a server namespace with
// DHCP, TFTP, HTTP boot and the nftables filter on; clients in other namespaces over veths.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { api, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';
import { Netns, link } from '../../helpers/netns.js';

export const NFT = '/usr/sbin/nft';

export type Sections = Record<string, Record<string, string | number | boolean>>;

export interface World {
  server: Netns;
  client: Netns;
  /** Behind a second interface of the server namespace (confinement). */
  other: Netns;
  provIf: string;
  clientIf: string;
  otherIf: string;
  daemon: DaemonHandle;
  kernel: Buffer;
}

export const SERVER_IP = '198.18.90.1';

/** The netboot sections a demo would use, on the test topology. */
export function netbootSections(provIf: string, over: Sections = {}): Sections {
  return {
    ...over,
    DEFAULT: { timeout: 3600, ...over.DEFAULT },
    ipmi: { enabled: false, ...over.ipmi },
    dhcp: {
      enabled: true,
      interface_address: SERVER_IP,
      subnet: '198.18.90.0/24',
      range_start: '198.18.90.100',
      range_end: '198.18.90.150',
      lease_time: 600,
      ...over.dhcp,
    },
    tftp: { enabled: true, ...over.tftp },
    http_boot: { enabled: true, ...over.http_boot },
    pxe_filter: { driver: 'nftables', interface: provIf, sync_period: 2, ...over.pxe_filter },
  };
}

export async function buildWorld(
  cleanups: Array<() => Promise<void> | void>,
  over: Sections = {},
  options: { env?: Record<string, string>; beforeStart?: (server: Netns) => Promise<void> } = {},
): Promise<World> {
  const server = await Netns.create('nbs');
  cleanups.push(() => server.destroy());
  const client = await Netns.create('nbc');
  cleanups.push(() => client.destroy());
  const other = await Netns.create('nbo');
  cleanups.push(() => other.destroy());
  const prov = await link(server, `${SERVER_IP}/24`, client, null);
  const second = await link(server, '198.18.91.1/24', other, null, { bMac: '52:54:00:bb:00:01' });
  await options.beforeStart?.(server);
  // The boot root: a fake kernel; pxelinux.0 and ldlinux.c32 come from Debian's packages.
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const stateDir = await mkdtemp(join(tmpdir(), 'inspectord-netboot-'));
  const kernel = randomBytes(1024 * 1024 + 123);
  await mkdir(join(stateDir, 'tftp'), { recursive: true });
  await writeFile(join(stateDir, 'tftp', 'discovery.kernel'), kernel);
  await writeFile(join(stateDir, 'tftp', 'discovery.initramfs'), randomBytes(4096));
  const daemon = await startDaemon(netbootSections(prov.aIf, over), {
    netns: server.name,
    stateDir,
    ...(options.env ? { env: options.env } : {}),
  });
  cleanups.push(async () => {
    await daemon.cleanup();
    const { rm } = await import('node:fs/promises');
    await rm(stateDir, { recursive: true, force: true });
  });
  return {
    server,
    client,
    other,
    provIf: prov.aIf,
    clientIf: prov.bIf,
    otherIf: second.bIf,
    daemon,
    kernel,
  };
}

/** Run a command, resolving with its exit code and output instead of rejecting. */
export function runCode(
  cmd: string,
  args: string[],
  timeout = 20_000,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout.toString()}${stderr.toString()}` });
      },
    );
  });
}

export async function setMac(ns: Netns, ifname: string, mac: string): Promise<void> {
  await ns.exec('ip', ['link', 'set', ifname, 'down']);
  await ns.exec('ip', ['addr', 'flush', 'dev', ifname]);
  await ns.exec('ip', ['link', 'set', ifname, 'address', mac]);
  await ns.exec('ip', ['link', 'set', ifname, 'up']);
}

/**
 * One DHCP attempt with busybox udhcpc as a UEFI x64 PXE client (option 93 = 7): the leased address
 * or null when no lease came ("no lease" is what a refused client sees).
 */
export async function dhcp(ns: Netns, ifname: string, extra: string[] = []): Promise<string | null> {
  const result = await runCode('ip', [
    'netns',
    'exec',
    ns.name,
    'busybox',
    'udhcpc',
    '-i',
    ifname,
    '-n',
    '-q',
    '-t',
    '2',
    '-T',
    '1',
    '-x',
    '0x5d:0007',
    ...extra,
    '-s',
    '/bin/true',
  ]);
  const m = /lease of (\S+) obtained/.exec(result.output);
  return result.code === 0 && m?.[1] ? m[1] : null;
}

export interface TimelineEvent {
  seq: number;
  type: string;
  mac?: string;
  node?: string;
  message: string;
  data?: Record<string, unknown>;
}

export async function timeline(world: World, query: string): Promise<TimelineEvent[]> {
  const r = await api(world.daemon.url, 'GET', `/v1/events?${query}&limit=1000`);
  if (r.status !== 200) throw new Error(`GET /v1/events?${query} → ${r.status}: ${r.text}`);
  const body = r.json as { events?: TimelineEvent[] } | TimelineEvent[];
  return Array.isArray(body) ? body : (body.events ?? []);
}

/** `nft -j list tables` inside ns: the names of all tables. */
export async function tableNames(ns: Netns): Promise<string[]> {
  const out = JSON.parse(await ns.exec(NFT, ['-j', 'list', 'tables'])) as {
    nftables: Array<{ table?: { name: string } }>;
  };
  return out.nftables.flatMap((e) => (e.table ? [e.table.name] : []));
}
