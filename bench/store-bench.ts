// Micro-benchmark of store/: debounced and durable state writes of a 5,000-node document
// (writes/s, event-loop delay), event log emit and query over a full 50k ring, a 10 MiB blob.
// Run: npx tsc -p tsconfig.json && node dist/bench/store-bench.js [seconds-per-phase]
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { systemClock } from '../src/core/clock.js';
import type { NodeRecord } from '../src/core/node.js';
import { FileBlobStore } from '../src/store/blobs.js';
import { FileEventLog } from '../src/store/event-log.js';
import { FileStateStore } from '../src/store/state.js';

const seconds = Number(process.argv[2] ?? 5);
const log = pino({ level: 'silent' });
const deps = { log, clock: systemClock };

function makeNode(i: number): NodeRecord {
  const hex = i.toString(16).padStart(8, '0');
  return {
    uuid: `${hex}-0000-4000-8000-${hex}0000`,
    name: `node-${i}`,
    driver: 'ipmi',
    driver_info: { ipmi_address: `198.18.${i >> 8}.${i & 255}`, ipmi_port: 623, ipmi_username: 'admin' },
    properties: {
      cpus: 64,
      cpu_arch: 'x86_64',
      memory_mb: 262144,
      local_gb: 893,
      capabilities: 'boot_mode:uefi',
    },
    extra: { rack: `r${i % 40}`, position: i % 42, tags: ['bench', 'gpu'] },
    traits: ['CUSTOM_BENCH'],
    provision_state: 'manageable',
    maintenance: false,
    created_at: '2025-01-01T00:00:00',
    updated_at: null,
  };
}

function ms(n: number): string {
  return (n / 1e6).toFixed(2);
}

async function timed<T>(phase: string, fn: () => Promise<T>): Promise<T> {
  const cpu = process.cpuUsage();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const result = await fn();
  delay.disable();
  const used = process.cpuUsage(cpu);
  console.log(
    `${phase}: loop delay p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms; ` +
      `CPU user ${(used.user / 1e6).toFixed(2)} s, system ${(used.system / 1e6).toFixed(2)} s`,
  );
  return result;
}

const dir = await fsp.mkdtemp(join(tmpdir(), 'inspectord-bench-'));
try {
  const store = await FileStateStore.open(deps, { stateDir: dir });
  for (let i = 0; i < 5000; i += 1) store.doc.nodes.push(makeNode(i));
  await store.changed({ durable: true });
  const size = (await fsp.stat(store.path)).size;
  const t0 = performance.now();
  JSON.stringify(store.doc);
  console.log(
    `state: 5,000 nodes, ${(size / 1048576).toFixed(2)} MiB, stringify ${(performance.now() - t0).toFixed(2)} ms`,
  );

  await timed(`debounced: 100 changes/s for ${seconds} s`, async () => {
    const before = store.writeCount;
    let changes = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const node = store.doc.nodes[changes % 5000];
        if (node) node.updated_at = new Date().toISOString();
        changes += 1;
        void store.changed();
      }, 10);
      setTimeout(() => (clearInterval(timer), resolve()), seconds * 1000);
    });
    await store.flush();
    console.log(`  ${changes} changes → ${store.writeCount - before} physical writes`);
  });

  await timed(`durable: sequential fsynced writes for ${seconds} s`, async () => {
    const before = store.writeCount;
    const end = performance.now() + seconds * 1000;
    const latencies: number[] = [];
    while (performance.now() < end) {
      const start = performance.now();
      await store.changed({ durable: true });
      latencies.push(performance.now() - start);
    }
    latencies.sort((a, b) => a - b);
    const writes = store.writeCount - before;
    console.log(
      `  ${writes} writes, ${(writes / seconds).toFixed(1)} writes/s, latency p50 ${latencies[latencies.length >> 1]?.toFixed(2)} ms, ` +
        `p99 ${latencies[Math.floor(latencies.length * 0.99)]?.toFixed(2)} ms`,
    );
  });
  await store.close();

  const events = await FileEventLog.open(deps, { stateDir: dir });
  await timed('event log: 100,000 emits', async () => {
    const start = performance.now();
    for (let i = 0; i < 100_000; i += 1) {
      events.emit({
        type: 'dhcp.offer',
        mac: `52:54:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
        node: `node-${i % 5000}`,
        message: `offered 198.18.${(i >> 8) & 255}.${i & 255} for PXE (arch 7, iPXE)`,
        data: { xid: i, arch: 7 },
      });
    }
    const elapsed = performance.now() - start;
    await events.flush();
    console.log(
      `  ${((100_000 / elapsed) * 1000).toFixed(0)} emits/s (synchronous part), ring ${events.size}`,
    );
  });
  const queries: Array<[string, Parameters<FileEventLog['query']>[0]]> = [
    ['by mac, limit 100', { mac: '52:54:00:00:80:01', limit: 100 }],
    ['by node, limit 100', { node: 'node-42', limit: 100 }],
    ['by type, after, limit 1000', { types: ['dhcp.offer'], after: 80_000, limit: 1000 }],
    ['unmatched mac (full scan)', { mac: '00:00:00:00:00:00' }],
  ];
  for (const [what, q] of queries) {
    const runs = 200;
    const start = performance.now();
    let found = 0;
    for (let i = 0; i < runs; i += 1) found = events.query(q).length;
    console.log(
      `query ${what} over ${events.size}: ${((performance.now() - start) / runs).toFixed(3)} ms (${found} hits)`,
    );
  }
  await events.close();

  const blobs = new FileBlobStore({ log }, { stateDir: dir });
  const big = JSON.stringify({ inventory: 'x'.repeat(10 * 1024 * 1024) });
  for (let i = 0; i < 3; i += 1) {
    const start = performance.now();
    await blobs.putData('bench-node', 'processed', big);
    console.log(`blob: put 10 MiB processed (atomic + fsync): ${(performance.now() - start).toFixed(1)} ms`);
  }
} finally {
  await fsp.rm(dir, { recursive: true, force: true });
}
