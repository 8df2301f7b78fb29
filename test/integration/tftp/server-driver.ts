// Test/bench driver: runs TftpServer (and optionally the HTTP-boot plugin) inside a network
// namespace and speaks JSON lines: config in argv[2], events and stats on stdout, commands on stdin.
import { createInterface } from 'node:readline';
import pino from 'pino';
import Fastify from 'fastify';
import { loadBootTemplates, renderBootConfig } from '../../../src/http-boot/boot-config.js';
import { registerHttpBoot } from '../../../src/http-boot/routes.js';
import { PathJail } from '../../../src/tftp/jail.js';
import { TftpServer, type TftpServerOptions } from '../../../src/tftp/server.js';

interface DriverConfig {
  tftp: Partial<TftpServerOptions> & { root: string };
  /** Generated files served through the resolve hook: relative path → content. */
  generated?: Record<string, string>;
  /** Also serve HTTP boot on this address/port. */
  http?: { address: string; port: number };
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
if (config.http) {
  const app = Fastify();
  const templates = await loadBootTemplates();
  const base = `http://${config.http.address}:${config.http.port}`;
  registerHttpBoot(app, {
    files: new PathJail(config.tftp.root),
    renderIpxe: (mac) =>
      mac === '52:54:00:12:34:56'
        ? renderBootConfig('ipxe', templates, {
            kernel: `${base}/boot/files/discovery.kernel`,
            initramfs: `${base}/boot/files/discovery.initramfs`,
            callbackUrl: `${base}/v1/continue`,
            mac,
          })
        : null,
    events: { emit: (event) => out({ kind: 'event', event }) },
    log: pino({ level: 'warn' }, pino.destination(2)),
  });
  await app.listen({ host: config.http.address, port: config.http.port });
}
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
