// Crash consistency during a boot storm (issue 8, Resilience): the fleet bench (bench/fleet-sim.ts)
// with 30 TFTP-booting machines while the daemon is kill -9'd 3 times and restarted; the machines
// retry as real ones do. Asserts the bench's checks, then re-reads the state directory itself.
import test from 'ava';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { systemClock } from '../../../src/core/clock.js';
import { FileStateStore } from '../../../src/store/state.js';
import { validateStateDocument } from '../../../src/store/state-schema.js';
import { NFT, leaseProblems, tableProblems, type LeaseLike } from '../../../bench/fleet-verify.js';
import { Netns, link, requireTools } from '../../helpers/netns.js';

const SIM = fileURLToPath(new URL('../../../bench/fleet-sim.js', import.meta.url));
const N = 30;
const KILLS = 3;

interface FleetResult {
  seed: number;
  finished: number;
  failures: string[];
  problems: string[];
  tables: string[];
  reboots: number;
  killsDone: Array<{ afterMs: number; atMs: number; restartMs: number; stateFile: string[] }>;
  callback: { retried: number; refusedAfterRetry: number };
  finishedEventsMissing: number;
}

const cleanups: Array<() => Promise<unknown> | void> = [];
test.after.always(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

test(`${N} machines booting over TFTP all finish exactly once, with valid state, one nft table and consistent leases, across ${KILLS} kill -9s of the daemon`, async (t) => {
  await requireTools(NFT, 'ip');
  const server = await Netns.create('fks');
  cleanups.push(() => server.destroy());
  const client = await Netns.create('fkc');
  cleanups.push(() => client.destroy());
  // The bench's fixed topology (bench/fleet-bench.sh): server .1, relay/clients .2 on a /21.
  const veth = await link(server, '198.18.96.1/21', client, '198.18.96.2/21');
  const stateDir = await mkdtemp(join(tmpdir(), 'inspectord-fleetkill-'));
  cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
  const seed = Math.floor(Math.random() * 2 ** 31);

  const child = client.spawn(process.execPath, [SIM, String(N), server.name, veth.aIf, veth.bIf], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      FLEET_TRANSPORT: 'tftp',
      FLEET_KILL: String(KILLS),
      FLEET_KILL_CALLBACK: '1',
      FLEET_SEED: String(seed),
      FLEET_BASELINE: '0',
      FLEET_KERNEL_MIB: '1',
      FLEET_INITRD_MIB: '2',
      FLEET_STATE_DIR: stateDir,
    },
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    // Bounded: the storm takes ~15 s plus retries; callback retries back off up to 37 s.
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 150_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  t.log(
    `seed ${seed} (replay: FLEET_SEED=${seed} FLEET_KILL=${KILLS} FLEET_KILL_CALLBACK=1 FLEET_TRANSPORT=tftp bench/fleet-bench.sh ${N})`,
  );
  const line = out.split('\n').find((l) => l.startsWith('FLEET-RESULT '));
  if (!line) {
    t.fail(`the fleet simulation ended (exit ${code}) without a result:\n${out.slice(-4000)}`);
    return;
  }
  const result = JSON.parse(line.slice('FLEET-RESULT '.length)) as FleetResult;
  for (const k of result.killsDone)
    t.log(`kill at ${k.atMs} ms into the storm, restart took ${k.restartMs} ms`);
  t.log(
    `${result.reboots} reboots into PXE, ${result.callback.retried} callback retries, ` +
      `${result.callback.refusedAfterRetry} replays refused as already processed`,
  );

  t.is(result.killsDone.length, KILLS, 'the daemon was killed and restarted each time');
  t.deepEqual(result.failures, [], 'no machine gave up');
  t.is(result.finished, N, 'every node finished without error');
  t.deepEqual(tableProblems(result.tables), [], 'exactly one inspectord nft table');
  t.deepEqual(result.problems, [], `consistency checks of the run (seed ${seed})`);
  t.is(code, 0);

  // The state directory as the next start would find it (the sim stopped the last daemon cleanly).
  const store = await FileStateStore.open(
    { log: pino({ level: 'silent' }), clock: systemClock },
    { stateDir },
  );
  try {
    t.is(store.loadedFrom, 'main', 'loaded from the main file, not the backup');
    t.deepEqual(validateStateDocument(store.doc), []);
    const nodes = store.doc.nodes.map((n) => n.uuid);
    t.is(nodes.length, N, 'no node lost or duplicated');
    for (const uuid of nodes) {
      const runs = store.doc.introspections.filter((r) => r.uuid === uuid);
      t.is(runs.length, 1, `one introspection record for ${uuid}`);
      t.is(runs[0]?.state, 'finished', `${uuid} finished`);
      t.is(runs[0]?.error, null, `${uuid} finished without error`);
    }
    const macs = store.doc.ports.map((p) => p.address);
    t.deepEqual(leaseProblems(store.doc.leases as LeaseLike[], macs, Date.now()), []);
  } finally {
    await store.close();
  }
  t.false(
    (await readdir(stateDir)).some((name) => name.endsWith('.tmp')),
    'no temp file of a killed writer is left behind',
  );
});
