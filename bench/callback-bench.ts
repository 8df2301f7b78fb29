// Callback throughput: a real `inspectord serve` on 127.0.0.1, N enrolled nodes under introspection,
// the 20-rule set, then POST /v1/continue with a varied real inventory per node at concurrency C.
// Run: npx tsc -p tsconfig.json && node dist/bench/callback-bench.js [nodes=1000] [concurrency=16] [--cpu-prof]
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from '../test/helpers/daemon.js';
import {
  inventoryFor,
  macOf,
  must,
  percentile,
  pool,
  procStats,
  ruleSet,
  startServe,
} from './fleet-common.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const N = Number(args[0] ?? 1000);
const C = Number(args[1] ?? 16);
const cpuProf = process.argv.includes('--cpu-prof');

const stateDir = await mkdtemp(join(tmpdir(), 'inspectord-cbbench-'));
const profDir = join(stateDir, 'prof');
const port = await freePort();
const daemon = await startServe(
  {
    DEFAULT: { listen_address: '127.0.0.1', listen_port: port, state_dir: stateDir, log_level: 'warn' },
    ipmi: { enabled: false },
    processing: { callback_auth: 'none' },
  },
  {
    stateDir,
    url: `http://127.0.0.1:${port}`,
    ...(cpuProf ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] } : {}),
  },
);
const pid = daemon.pid;
try {
  const t0 = performance.now();
  const uuids: string[] = new Array<string>(N);
  await pool(N, C, async (i) => {
    const node = (await must(daemon.url, 'POST', '/v1/nodes', {
      name: `bench-${i}`,
      ports: [{ address: macOf(i) }],
    })) as { uuid: string };
    uuids[i] = node.uuid;
  });
  const tEnroll = performance.now();
  await pool(N, C, async (i) => {
    await must(daemon.url, 'POST', `/v1/introspection/${uuids[i]}?manage_boot=false`);
  });
  const tStart = performance.now();
  for (const rule of ruleSet()) await must(daemon.url, 'POST', '/v1/rules', rule);
  // Bodies are built (and serialised) before timing: the client's cost is not the server's.
  const bodies = Array.from({ length: N }, (_, i) =>
    JSON.stringify(inventoryFor(i, `198.18.${(i >> 8) & 255}.${(i & 255) + 1}`)),
  );
  const avgBytes = bodies.reduce((s, b) => s + b.length, 0) / N;
  console.log(
    `setup: ${N} nodes enrolled in ${((tEnroll - t0) / 1000).toFixed(1)} s, introspection started in ` +
      `${((tStart - tEnroll) / 1000).toFixed(1)} s, ${ruleSet().length} rules; inventory ${Math.round(avgBytes)} B avg`,
  );

  const before = procStats(pid);
  const latencies: number[] = [];
  const failures: string[] = [];
  const url = `${daemon.url}/v1/continue`;
  const tRun = performance.now();
  await pool(N, C, async (i) => {
    const s = performance.now();
    try {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: bodies[i],
      });
      const text = await r.text();
      if (r.status !== 200) failures.push(`${macOf(i)}: ${r.status} ${text.slice(0, 200)}`);
    } catch (e) {
      failures.push(`${macOf(i)}: ${(e as Error).message}`);
    }
    latencies.push(performance.now() - s);
  });
  const wall = (performance.now() - tRun) / 1000;
  const after = procStats(pid);

  // Every introspection must have finished without error, with the rules applied.
  let finished = 0;
  let errored = 0;
  await pool(N, C, async (i) => {
    const s = (await must(daemon.url, 'GET', `/v1/introspection/${uuids[i]}`)) as {
      finished: boolean;
      error: string | null;
    };
    if (s.finished) finished += 1;
    if (s.error) errored += 1;
  });
  const sample = (await must(daemon.url, 'GET', `/v1/nodes/${uuids[5]}`)) as {
    properties: Record<string, unknown>;
    traits?: string[];
  };

  latencies.sort((a, b) => a - b);
  console.log(
    `callback: ${N} POST /v1/continue at concurrency ${C} in ${wall.toFixed(2)} s = ` +
      `${(N / wall).toFixed(0)} req/s; latency p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
      `p90 ${percentile(latencies, 90).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, ` +
      `max ${(latencies.at(-1) ?? NaN).toFixed(1)} ms; failures ${failures.length}`,
  );
  console.log(
    `introspections: ${finished}/${N} finished, ${errored} with an error; sample node capabilities ` +
      `${JSON.stringify(sample.properties['capabilities'])}, traits ${JSON.stringify(sample.traits ?? [])}`,
  );
  console.log(
    `daemon (pid ${pid}): CPU ${(after.cpu - before.cpu).toFixed(2)} s during the run ` +
      `(${(((after.cpu - before.cpu) / wall) * 100).toFixed(0)} % of one core; ` +
      `${(((after.cpu - before.cpu) / N) * 1000).toFixed(2)} ms per callback: ` +
      `user ${(((after.user - before.user) / N) * 1000).toFixed(2)}, sys ${(((after.sys - before.sys) / N) * 1000).toFixed(2)}), ` +
      `peak RSS (VmHWM) ${after.hwmMiB.toFixed(0)} MiB, RSS now ${after.rssMiB.toFixed(0)} MiB`,
  );
  for (const f of failures.slice(0, 5)) console.log(`  failure: ${f}`);
  if (cpuProf) {
    await daemon.stop();
    const files = await readdir(profDir).catch(() => []);
    console.log(`CPU profile(s): ${files.map((f) => join(profDir, f)).join(' ')} (kept)`);
  }
  if (failures.length > 0 || finished !== N || errored > 0) process.exitCode = 1;
} finally {
  await daemon.stop();
  if (!cpuProf) await rm(stateDir, { recursive: true, force: true });
}
