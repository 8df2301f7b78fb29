// Shared by the fleet benches: per-machine MACs, realistic IPA inventories (the real one in
// test/fixtures/inventory varied per machine), the 20-rule set, /proc stats and a serve launcher.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { iniText, type IniSections } from '../test/helpers/daemon.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/inventory/this-machine.json', import.meta.url));

/** 52:54:00:xx:yy:zz for machine i (i < 2^24): distinct, locally administered QEMU prefix. */
export function macOf(i: number): string {
  const b = [(i >> 16) & 255, (i >> 8) & 255, i & 255];
  return `52:54:00:${b.map((x) => x.toString(16).padStart(2, '0')).join(':')}`;
}

const CPUS = [2, 4, 8, 16, 32, 64, 96, 128];
const MEM_GIB = [8, 16, 32, 64, 128, 256, 512];
const DISK_GIB = [240, 480, 960, 1920, 3840, 7680];

type Json = Record<string, unknown>;

/** The fixture body, varied for machine i; `ip` is the address the ramdisk reports on eth0. */
export function inventoryFor(i: number, ip: string): Json {
  const body = JSON.parse(readFixture()) as Json & { inventory: Json };
  const inv = body.inventory as Json & {
    interfaces: Json[];
    cpu: Json;
    disks: Json[];
    memory: Json;
    system_vendor: Json;
    boot: Json;
  };
  const mac = macOf(i);
  const serial = `SN${i.toString().padStart(7, '0')}`;
  // The PXE NIC carries the enrolled MAC; the two extra ones are unknown to the server.
  inv.interfaces = inv.interfaces.map((nic, k) =>
    nic['name'] === 'eth0'
      ? { ...nic, mac_address: mac, ipv4_address: ip, ipv6_address: null }
      : { ...nic, mac_address: `02:00:${(k + 1).toString(16).padStart(2, '0')}:${mac.slice(9)}` },
  );
  inv.cpu = { ...inv.cpu, count: CPUS[i % CPUS.length] };
  const memGib = MEM_GIB[(i >> 3) % MEM_GIB.length] as number;
  inv.memory = { total: memGib * 1024 ** 3, physical_mb: memGib * 1024 };
  const diskCount = 1 + (i % 6);
  const template = inv.disks[1] as Json;
  inv.disks = [inv.disks[0] as Json];
  for (let d = 0; d < diskCount; d += 1) {
    inv.disks.push({
      ...template,
      name: `/dev/sd${String.fromCharCode(97 + d)}`,
      size: (DISK_GIB[(i + d) % DISK_GIB.length] as number) * 1e9,
      rotational: d % 3 === 2,
      serial: `${serial}-D${d}`,
      model: d % 3 === 2 ? 'ST8000NM000A' : 'SAMSUNG MZ7L3960',
      wwn: `0x5002538${(i * 8 + d).toString(16).padStart(9, '0')}`,
    });
  }
  inv.system_vendor = {
    product_name: 'PowerEdge R650',
    serial_number: serial,
    manufacturer: 'Dell Inc.',
    firmware: { vendor: 'Dell Inc.', version: '1.9.2', build_date: '03/01/2024' },
  };
  inv['bmc_address'] = `198.19.${(i >> 8) & 255}.${i & 255}`;
  inv['bmc_mac'] = `02:bb:00:${mac.slice(9)}`;
  inv.boot = { current_boot_mode: i % 2 ? 'uefi' : 'bios', pxe_interface: mac };
  inv['hostname'] = `node-${i}`;
  body['boot_interface'] = `01-${mac.replace(/:/g, '-')}`;
  body['root_disk'] = inv.disks[1];
  delete body['source'];
  return body;
}

let fixture: string | undefined;
function readFixture(): string {
  fixture ??= readFileSync(FIXTURE, 'utf8');
  return fixture;
}

/** 20 rules: capabilities/traits by CPU count, memory, disk size, vendor and in-net on NIC IPs. */
export function ruleSet(): Json[] {
  const rules: Json[] = [];
  const cpuClasses: Array<[string, number, number]> = [
    ['tiny', 0, 4],
    ['small', 4, 16],
    ['medium', 16, 64],
    ['large', 64, 100000],
  ];
  for (const [name, lo, hi] of cpuClasses) {
    rules.push({
      description: `cpu class ${name}`,
      conditions: [
        { op: 'ge', field: 'inventory.cpu.count', value: lo },
        { op: 'lt', field: 'inventory.cpu.count', value: hi },
      ],
      actions: [
        { action: 'set-capability', name: 'cpu_class', value: name },
        { action: 'add-trait', name: `CUSTOM_CPU_${name.toUpperCase()}` },
      ],
    });
  }
  for (const [name, mb] of [
    ['16g', 16 * 1024],
    ['64g', 64 * 1024],
    ['256g', 256 * 1024],
  ] as const) {
    rules.push({
      description: `memory at least ${name}`,
      conditions: [{ op: 'ge', field: 'inventory.memory.physical_mb', value: mb }],
      actions: [{ action: 'add-trait', name: `CUSTOM_MEM_${name.toUpperCase()}` }],
    });
  }
  for (const [name, bytes] of [
    ['1t', 1e12],
    ['4t', 4e12],
    ['7t', 7e12],
  ] as const) {
    rules.push({
      description: `a disk of at least ${name}`,
      conditions: [{ op: 'ge', field: 'inventory.disks[*].size', value: bytes }],
      actions: [{ action: 'set-capability', name: `disk_${name}`, value: 'true' }],
    });
  }
  rules.push({
    description: 'all-flash',
    conditions: [{ op: 'eq', field: 'inventory.disks[*].rotational', value: false, multiple: 'all' }],
    actions: [{ action: 'add-trait', name: 'CUSTOM_ALL_FLASH' }],
  });
  rules.push({
    description: 'has spinning disks',
    conditions: [{ op: 'eq', field: 'inventory.disks[*].rotational', value: true }],
    actions: [{ action: 'add-trait', name: 'CUSTOM_HDD' }],
  });
  rules.push({
    description: 'uefi',
    conditions: [{ op: 'eq', field: 'inventory.boot.current_boot_mode', value: 'uefi' }],
    actions: [{ action: 'set-capability', name: 'boot_mode', value: 'uefi' }],
  });
  rules.push({
    description: 'vendor Dell',
    conditions: [{ op: 'matches', field: 'inventory.system_vendor.manufacturer', value: 'Dell.*' }],
    actions: [{ action: 'set-attribute', path: '/extra/vendor', value: 'dell' }],
  });
  rules.push({
    description: 'AVX-512 capable',
    conditions: [{ op: 'contains', field: 'inventory.cpu.flags', value: 'avx512f' }],
    actions: [{ action: 'add-trait', name: 'CUSTOM_AVX512' }],
  });
  for (let rack = 0; rack < 4; rack += 1) {
    rules.push({
      description: `rack ${rack} by provisioning network`,
      conditions: [
        { op: 'in-net', field: 'inventory.interfaces[*].ipv4_address', value: `198.18.${64 * rack}.0/18` },
      ],
      actions: [{ action: 'set-capability', name: 'rack', value: `r${rack}` }],
    });
  }
  rules.push({
    description: 'BMC network',
    conditions: [{ op: 'in-net', field: 'inventory.bmc_address', value: '198.19.0.0/16' }],
    actions: [{ action: 'set-attribute', path: '/extra/bmc_net', value: 'oob' }],
  });
  return rules;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, idx)] as number;
}

/** utime+stime (s; also apart) and VmHWM/VmRSS (MiB) of a process from /proc. */
export function procStats(pid: number): {
  cpu: number;
  user: number;
  sys: number;
  hwmMiB: number;
  rssMiB: number;
} {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return {
    cpu: ticks / 100,
    user: Number(fields[11]) / 100,
    sys: Number(fields[12]) / 100,
    hwmMiB: kb('VmHWM') / 1024,
    rssMiB: kb('VmRSS') / 1024,
  };
}

export interface Serve {
  pid: number;
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Start `node [nodeArgs] dist/src/main.js serve` with an INI built from `sections` (optionally in a
 * namespace: `ip netns exec` execs in place, so the PID is the daemon's) and wait until GET / answers
 * at `url` (which must be reachable from here). Not test/helpers/daemon.ts: it cannot pass
 * --cpu-prof (not allowed in NODE_OPTIONS).
 */
export async function startServe(
  sections: IniSections,
  opts: { stateDir: string; url: string; netns?: string; nodeArgs?: string[] },
): Promise<Serve> {
  const configPath = join(opts.stateDir, 'inspector.conf');
  writeFileSync(configPath, iniText(sections));
  const main = fileURLToPath(new URL('../src/main.js', import.meta.url));
  const argv = [process.execPath, ...(opts.nodeArgs ?? []), main, 'serve', '--config', configPath];
  const [cmd, ...args] = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...argv] : argv;
  const child = spawn(cmd as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`inspectord serve exited with ${child.exitCode}: ${out}`);
    try {
      const r = await fetch(`${opts.url}/`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`inspectord serve did not answer GET / within 20 s: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pid: child.pid as number, url: opts.url, child, output: () => out, stop };
}

/** Run fn(i) for i in [0, n) with `c` workers. */
export async function pool(n: number, c: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(c, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** A JSON API call that must succeed (status < 300). */
export async function must(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<unknown> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status}: ${text}`);
  return text ? (JSON.parse(text) as unknown) : null;
}
