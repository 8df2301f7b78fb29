// Joins two sockets both ways: the two halves of the API forwarder into a network namespace
// (daemon.ts on the test side, unix-forward.ts inside the namespace) each use it.
import type { Socket } from 'node:net';

/** Pipe a ↔ b. Either side closing or failing closes both (e.g. the daemon not listening yet),
 *  or the client would wait forever for an answer. */
export function splice(a: Socket, b: Socket): void {
  a.pipe(b).pipe(a);
  const close = (): void => {
    a.destroy();
    b.destroy();
  };
  for (const socket of [a, b]) {
    socket.on('error', close);
    socket.on('close', close);
  }
}
