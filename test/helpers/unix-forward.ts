// Run inside a network namespace: accepts connections on a Unix socket (a file, so reachable from
// every namespace) and pipes each one to host:port inside this namespace. The test side pairs it
// with a loopback TCP listener (forwardIntoNetns), so fetch() reaches a daemon in a namespace.
import { createConnection, createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { splice } from './splice.js';

const [socketPath, host, port] = process.argv.slice(2);
if (!socketPath || !host || !port) {
  process.stderr.write('usage: unix-forward.js <socket> <host> <port>\n');
  process.exit(2);
}
rmSync(socketPath, { force: true });
const server = createServer((inbound) => splice(inbound, createConnection({ host, port: Number(port) })));
server.listen(socketPath, () => process.stdout.write('ready\n'));
