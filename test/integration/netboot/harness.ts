// Shared world of the netboot integration tests: `inspectord serve` inside a server namespace with
// DHCP, TFTP, HTTP boot and the nftables filter on; clients in other namespaces over veths.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { api, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';
import { Netns, link } from '../../helpers/netns.js';

// Process, udhcpc and nft helpers are the firewall harness's (one copy for both suites).
export { NFT, dhcp, runCode, setMac, tableNames } from '../firewall/harness.js';

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
