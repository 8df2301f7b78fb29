// Footprint: start-up time and idle RSS of `inspectord serve` with an empty state and with N enrolled
// nodes (default 5,000; a fraction with a finished introspection and stored inventory), restarted on
// the same state_dir. Start-up = spawn → GET /healthz 200 (state loaded, PXE filter policy built).
// Run: npx tsc -p tsconfig.json && node dist/bench/footprint.js [nodes=5000] [finished=1000]
import { mkdtemp, rm, stat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from '../test/helpers/daemon.js';
import { inventoryFor, macOf, must, pool, procStats, startServe, type Serve } from './fleet-common.js';

const N = Number(process.argv[2] ?? 5000);
const FINISHED = Math.min(N, Number(process.argv[3] ?? 1000));
const SETTLE_MS = 5000;
const RUNS = 3;

const stateDir = await mkdtemp(join(tmpdir(), 'inspectord-footprint-'));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const sections = {
  DEFAULT: { listen_address: '127.0.0.1', listen_port: port, state_dir: stateDir, log_level: 'warn' },
  ipmi: { enabled: false },
  processing: { callback_auth: 'none' },
};

/** Spawn → /healthz 200, then idle RSS after SETTLE_MS with no traffic. */
async function measure(): Promise<{ startMs: number; rssMiB: number; hwmMiB: number; serve: Serve }> {
  const t0 = performance.now();
  const serve = await startServe(sections, { stateDir, url });
  for (;;) {
    const r = await fetch(`${url}/healthz`).catch(() => undefined);
    if (r?.status === 200) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  const startMs = performance.now() - t0;
  await new Promise((res) => setTimeout(res, SETTLE_MS));
  const s = procStats(serve.pid);
  return { startMs, rssMiB: s.rssMiB, hwmMiB: s.hwmMiB, serve };
}

async function report(label: string): Promise<void> {
  const results = [];
  for (let k = 0; k < RUNS; k += 1) {
    const m = await measure();
    await m.serve.stop();
    results.push(m);
  }
  const median = <T>(xs: T[], f: (x: T) => number): number =>
    xs.map(f).sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
  console.log(
    `${label}: start-up to /healthz 200 median ${median(results, (r) => r.startMs).toFixed(0)} ms ` +
      `(runs ${results.map((r) => r.startMs.toFixed(0)).join(', ')}); idle RSS after ${SETTLE_MS / 1000} s ` +
      `median ${median(results, (r) => r.rssMiB).toFixed(0)} MiB, peak (VmHWM) ` +
      `${median(results, (r) => r.hwmMiB).toFixed(0)} MiB`,
  );
}

async function duBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await duBytes(p) : (await stat(p)).size;
  }
  return total;
}

try {
  await report('empty state');

  const serve = await startServe(sections, { stateDir, url });
  const t0 = performance.now();
  const uuids: string[] = new Array<string>(N);
  await pool(N, 16, async (i) => {
    const node = (await must(url, 'POST', '/v1/nodes', {
      name: `fp-${i}`,
      driver: 'ipmi',
      driver_info: { ipmi_address: `198.19.${(i >> 8) & 255}.${i & 255}` },
      ports: [{ address: macOf(i) }, { address: macOf(i + N) }],
    })) as { uuid: string };
    uuids[i] = node.uuid;
  });
  await pool(FINISHED, 16, async (i) => {
    await must(url, 'POST', `/v1/introspection/${uuids[i]}?manage_boot=false`);
  });
  await pool(FINISHED, 8, async (i) => {
    await must(url, 'POST', '/v1/continue', inventoryFor(i, `198.18.${(i >> 8) & 255}.${(i & 255) + 1}`));
  });
  const setup = (performance.now() - t0) / 1000;
  const loaded = procStats(serve.pid);
  await serve.stop();
  console.log(
    `setup: ${N} nodes enrolled (2 ports each, IPMI driver_info), ${FINISHED} introspected with a stored ` +
      `inventory, in ${setup.toFixed(1)} s; state_dir ${((await duBytes(stateDir)) / 1024 ** 2).toFixed(1)} MiB; ` +
      `RSS of the daemon that built it ${loaded.rssMiB.toFixed(0)} MiB (peak ${loaded.hwmMiB.toFixed(0)} MiB)`,
  );
  await report(`${N} nodes`);
} finally {
  await rm(stateDir, { recursive: true, force: true });
}
