// Test/bench driver: runs TftpServer (and optionally the HTTP-boot plugin) inside a network
// namespace and speaks JSON lines: config in argv[2], events and stats on stdout, commands on stdin.
import { createInterface } from 'node:readline';
import pino from 'pino';
import { TftpServer, type TftpServerOptions } from '../../../src/tftp/server.js';

interface DriverConfig {
  tftp: Partial<TftpServerOptions> & { root: string };
  /** Generated files served through the resolve hook: relative path → content. */
  generated?: Record<string, string>;
}

const config = JSON.parse(process.argv[2] ?? '{}') as DriverConfig;
const out = (obj: unknown): void => {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
};

const server = new TftpServer({
  options: config.tftp,
  log: pino({ level: 'warn' }, pino.destination(2)),
  events: { emit: (event) => out({ kind: 'event', event }) },
  resolve: (path, client) => {
    const text = config.generated?.[path];
    if (text === undefined) return null;
    return { kind: 'buffer', data: Buffer.from(text.replace('{client}', client.address)) };
  },
});

const bound = await server.start();
out({ kind: 'listening', ...bound });

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'stats') out({ kind: 'stats', stats: server.stats() });
  if (line.trim() === 'stop') {
    void server.stop().then(() => {
      out({ kind: 'stopped' });
      process.exit(0);
    });
  }
});
process.stdin.on('end', () => void server.stop().then(() => process.exit(0)));
