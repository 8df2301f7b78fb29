// "State survives restart and kill -9" (issue 2): SIGKILL a process that writes the state store
// in a tight loop at random moments; every reopen must load a valid document that holds every
// change whose durable write had been acknowledged.
import test from 'ava';
import { spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { systemClock } from '../../../src/core/clock.js';
import { FileStateStore } from '../../../src/store/state.js';
import { validateStateDocument } from '../../../src/store/state-schema.js';
import { sleep, waitFor } from '../../helpers/wait.js';

const DRIVER = fileURLToPath(new URL('./kill9-driver.js', import.meta.url));
const ROUNDS = 8;

interface RoundResult {
  durable: string[];
  readyCount: number;
}

/** Run the driver until a random moment after it is ready, then SIGKILL it (by its PID). */
async function runAndKill(stateDir: string, runId: string, killAfterMs: number): Promise<RoundResult> {
  const child = spawn(process.execPath, [DRIVER, stateDir, runId], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  try {
    await waitFor(
      () => out.includes('R ') || child.exitCode !== null,
      'the driver to open the store',
      15_000,
    );
    if (child.exitCode !== null) throw new Error(`driver exited with ${child.exitCode}: ${err}`);
    await sleep(killAfterMs);
    if (child.exitCode !== null)
      throw new Error(`driver exited with ${child.exitCode} before the kill: ${err}`);
  } finally {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    await exited;
  }
  const lines = out.split('\n');
  const ready = lines.find((l) => l.startsWith('R '));
  return {
    readyCount: Number(ready?.slice(2)),
    // A line cut by the kill has no newline: only complete lines count as acknowledged.
    durable: lines
      .slice(0, -1)
      .filter((l) => l.startsWith('D '))
      .map((l) => l.slice(2)),
  };
}

test('the state document survives repeated kill -9 with every acknowledged durable change', async (t) => {
  const stateDir = await fsp.mkdtemp(join(tmpdir(), 'inspectord-kill9-'));
  t.teardown(() => fsp.rm(stateDir, { recursive: true, force: true }));
  const log = pino({ level: 'silent' });
  const acknowledged: string[] = [];
  let previousCount = 0;

  for (let round = 0; round < ROUNDS; round += 1) {
    const killAfterMs = 100 + Math.floor(Math.random() * 600);
    const result = await runAndKill(stateDir, `k${round}`, killAfterMs);
    t.true(result.durable.length > 0, `round ${round}: the driver acknowledged durable writes`);
    t.true(
      result.readyCount >= previousCount,
      `round ${round}: the driver started from the previous state (${result.readyCount} ≥ ${previousCount})`,
    );
    acknowledged.push(...result.durable);

    const store = await FileStateStore.open({ log, clock: systemClock }, { stateDir });
    t.is(store.loadedFrom, 'main', `round ${round}: loaded from the main file, not the backup`);
    t.deepEqual(validateStateDocument(store.doc), []);
    const present = new Set(store.doc.nodes.map((n) => n.uuid));
    const missing = acknowledged.filter((id) => !present.has(id));
    t.deepEqual(missing, [], `round ${round} (killed after ${killAfterMs} ms): acknowledged changes missing`);
    previousCount = store.doc.nodes.length;
    await store.close();
    t.false(
      (await fsp.readdir(stateDir)).some((name) => name.endsWith('.tmp')),
      'temp files of the killed writer were removed on open',
    );
    t.log(
      `round ${round}: killed after ${killAfterMs} ms, ${result.durable.length} durable acks, ${present.size} nodes`,
    );
  }
});
