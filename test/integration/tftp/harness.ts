// Shared set-up for the TFTP/HTTP-boot integration tests: a server namespace running our driver
// and a client namespace, linked by veth on 198.18.0.0/15, plus fixture files with known hashes.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { link, Netns } from '../../helpers/netns.js';
import { waitFor } from '../../helpers/wait.js';

export const SERVER_IP = '198.18.64.1';
export const CLIENT_IP = '198.18.64.2';
const here = path.dirname(fileURLToPath(import.meta.url));
export const driverPath = path.join(here, 'server-driver.js');
export const probePath = path.join(here, 'probe-client.js');

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256File(file: string): Promise<string> {
  return sha256(await readFile(file));
}

export interface Fixture {
  base: string;
  root: string;
  out: string;
  hashes: Record<string, string>;
}

/** Boot root with random files (sizes chosen to hit block edges), an outside secret and symlinks. */
export async function makeFixture(files: Record<string, number>): Promise<Fixture> {
  const base = await mkdtemp(path.join(tmpdir(), 'tftp-it-'));
  const root = path.join(base, 'root');
  const out = path.join(base, 'out');
  await import('node:fs/promises').then((fs) => Promise.all([fs.mkdir(root), fs.mkdir(out)]));
  const hashes: Record<string, string> = {};
  for (const [name, size] of Object.entries(files)) {
    const data = randomBytes(size);
    await writeFile(path.join(root, name), data);
    hashes[name] = sha256(data);
  }
  await writeFile(path.join(base, 'secret'), 'outside the root\n');
  await symlink(path.join(base, 'secret'), path.join(root, 'link-out'));
  return { base, root, out, hashes };
}

export interface DriverLine {
  kind: string;
  [k: string]: unknown;
}
export interface TftpEvent {
  type: string;
  level: string;
  message: string;
  data: Record<string, unknown>;
}

/** Our server inside a namespace, driven over JSON lines. */
export class Driver {
  readonly lines: DriverLine[] = [];
  private constructor(private readonly child: ChildProcess) {}

  static async start(ns: Netns, config: unknown): Promise<Driver> {
    const child = ns.spawn(process.execPath, [driverPath, JSON.stringify(config)]);
    const driver = new Driver(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        driver.lines.push(JSON.parse(line) as DriverLine);
      } catch {
        /* not ours */
      }
    });
    await waitFor(
      () => driver.lines.some((l) => l.kind === 'listening') || child.exitCode !== null,
      'driver to listen',
    );
    if (child.exitCode !== null) throw new Error(`driver exited: ${stderr}`);
    return driver;
  }

  events(type?: string): TftpEvent[] {
    return this.lines
      .filter((l) => l.kind === 'event')
      .map((l) => l.event as TftpEvent)
      .filter((e) => type === undefined || e.type === type);
  }

  async stats(): Promise<Record<string, unknown>> {
    const before = this.lines.length;
    this.child.stdin?.write('stats\n');
    const line = await waitFor(
      () => this.lines.slice(before).find((l) => l.kind === 'stats'),
      'stats from the driver',
    );
    return line.stats as Record<string, unknown>;
  }
}

export interface Topology {
  server: Netns;
  client: Netns;
  destroy(): Promise<void>;
}

export async function makeTopology(): Promise<Topology> {
  const server = await Netns.create('tfs');
  const client = await Netns.create('tfc').catch(async (e: unknown) => {
    await server.destroy();
    throw e;
  });
  const destroy = async (): Promise<void> => {
    await client.destroy();
    await server.destroy();
  };
  try {
    await link(server, `${SERVER_IP}/24`, client, `${CLIENT_IP}/24`);
  } catch (e) {
    await destroy();
    throw e;
  }
  return { server, client, destroy };
}

export async function cleanup(fixture: Fixture | undefined): Promise<void> {
  if (fixture) await rm(fixture.base, { recursive: true, force: true });
}
