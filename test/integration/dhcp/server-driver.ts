// Runs src/dhcp/server.ts inside a network namespace for the integration tests and the bench:
// options from a JSON file (argv[2]), events as JSON lines on stdout, `stats` on stdin → stats.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { systemClock } from '../../../src/core/clock.js';
import type { EventInput } from '../../../src/core/events.js';
import { DhcpServer, type DhcpServerOptions } from '../../../src/dhcp/server.js';
import type { Decision, Lease, LeaseStore } from '../../../src/dhcp/responder.js';
import { writeFileAtomic } from '../../../src/store/state-file.js';

export interface DriverOptions extends DhcpServerOptions {
  /** JSON lease file (test/bench stand-in for the state document). */
  leaseFile: string;
  /** MACs the decision hook refuses, with the reason the PXE filter would give. */
  deny?: string[];
  /** false: count events instead of printing them (bench). */
  printEvents?: boolean;
}

/**
 * A minimal JSON-file LeaseStore, durable like the daemon's (temp file + fdatasync + rename +
 * directory fsync): the server holds each ACK until its save, so the bench pays what serve pays.
 */
export class JsonFileLeaseStore implements LeaseStore {
  constructor(private readonly path: string) {}
  load(): Lease[] {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as Lease[];
    } catch {
      return [];
    }
  }
  async save(leases: Lease[]): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(leases), { mode: 0o600 });
  }
}

const options = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as DriverOptions;
const out = (obj: unknown): void => {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
};
let eventCount = 0;
const deny = new Set((options.deny ?? []).map((m) => m.toLowerCase()));
const server = new DhcpServer(options, {
  log: pino({ level: 'warn' }, pino.destination(2)),
  clock: systemClock,
  leaseStore: new JsonFileLeaseStore(options.leaseFile),
  events: {
    emit: (event: EventInput) => {
      eventCount += 1;
      if (options.printEvents !== false) out({ event });
    },
  },
  decide: (ctx): Decision =>
    deny.has(ctx.mac)
      ? { action: 'ignore', reason: 'MAC denied by filter: enrolled node is not under introspection' }
      : { action: 'serve' },
});

try {
  await server.start();
} catch (error) {
  out({ error: (error as Error).message, code: (error as { code?: string }).code });
  process.exit(3);
}
out({ ready: true });
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'stats') out({ stats: server.stats(), eventCount });
  if (line.trim() === 'leases') out({ leases: server.leases() });
});
const shutdown = async (): Promise<void> => {
  await server.stop();
  out({ stopped: true, stats: server.stats(), eventCount });
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
