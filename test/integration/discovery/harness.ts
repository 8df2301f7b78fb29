// Shared bits of the discovery/rules acceptance tests: the CLI as a child process, a snapshot of
// everything the daemon persisted, and per-machine inventories (addresses in 198.18.0.0/15).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseCapabilities } from '../../../src/core/capabilities.js';
import { MAIN } from '../../helpers/daemon.js';
import { ipaInventory } from '../../helpers/core-env.js';

export const GIB = 1024 ** 3;

/** Run `inspectord ARGS --url URL`; resolves with the exit code and output (never rejects). */
export function cli(url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args, '--url', url],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** sha256 of every file under the state dir (but the test's own config), by relative path. */
export async function snapshot(stateDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name !== 'inspector.conf')
        out[relative(stateDir, path)] = createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
    }
  };
  await walk(stateDir);
  return out;
}

/** A snapshot taken once two in a row agree (debounced state writes have landed). */
export async function settledSnapshot(stateDir: string): Promise<Record<string, string>> {
  let previous = await snapshot(stateDir);
  for (let i = 0; i < 20; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 400));
    const next = await snapshot(stateDir);
    if (JSON.stringify(next) === JSON.stringify(previous)) return next;
    previous = next;
  }
  throw new Error('state dir kept changing');
}

export interface Machine {
  mac: string;
  cpus?: number;
  diskGib?: number;
  memoryMb?: number;
  serial?: string;
  bmc?: string;
}

export function inventoryOf(m: Machine): Record<string, unknown> {
  const data = ipaInventory(m.mac);
  const inventory = data.inventory as Record<string, unknown>;
  (inventory.cpu as Record<string, unknown>).count = m.cpus ?? 4;
  (inventory.memory as Record<string, unknown>).physical_mb = m.memoryMb ?? 8192;
  inventory.disks = [
    {
      name: '/dev/sda',
      size: (m.diskGib ?? 100) * GIB,
      serial: `D-${m.mac}`,
      model: 'disk',
      rotational: false,
    },
  ];
  inventory.bmc_address = m.bmc ?? null;
  inventory.system_vendor = {
    manufacturer: 'lab',
    product_name: 'lab-1',
    serial_number: m.serial ?? 'Not Specified',
    firmware: { vendor: 'lab', version: '1.0', build_date: '2026-01-01' },
  };
  return data;
}

/** properties.capabilities `k:v,k:v` as a map (core's parser, as the hooks and rules use). */
export function capabilities(node: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(parseCapabilities((node.properties as Record<string, unknown>).capabilities));
}
