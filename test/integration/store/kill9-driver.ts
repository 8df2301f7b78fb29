// Child process of kill9.test.ts: opens the state store in argv[2] and mutates it in a tight loop
// with debounced and durable changes, printing `D <uuid>` after each durable change is on disk.
import { pino } from 'pino';
import { systemClock } from '../../../src/core/clock.js';
import { FileStateStore } from '../../../src/store/state.js';

const stateDir = process.argv[2];
const runId = process.argv[3] ?? 'r';
if (!stateDir) throw new Error('usage: kill9-driver STATE_DIR RUN_ID');

const store = await FileStateStore.open(
  { log: pino({ level: 'silent' }), clock: systemClock },
  { stateDir, debounceMs: 5, maxDelayMs: 20 },
);
// Pipes are written synchronously on Linux: once written, a line survives our SIGKILL.
process.stdout.write(`R ${store.doc.nodes.length}\n`);

for (let i = 0; ; i += 1) {
  const uuid = `${runId}-${i}`;
  const now = new Date().toISOString();
  store.doc.nodes.push({
    uuid,
    name: null,
    driver: 'ipmi',
    driver_info: { ipmi_address: '198.18.0.1', ipmi_username: 'admin' },
    properties: { cpus: i % 64, memory_mb: 1024 * (i % 16) },
    extra: {},
    traits: [],
    provision_state: 'manageable',
    maintenance: false,
    created_at: now,
    updated_at: null,
  });
  // Touch an older record too, like a state transition would.
  const older = store.doc.nodes[i % store.doc.nodes.length];
  if (older) older.updated_at = now;
  if (i % 7 === 0) {
    await store.changed({ durable: true });
    process.stdout.write(`D ${uuid}\n`);
  } else {
    void store.changed();
    await new Promise((resolve) => setImmediate(resolve));
  }
}
