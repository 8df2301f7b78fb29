// Runs a real `inspectord serve` (dist/src/main.js) as a child process on loopback with a
// temporary state dir and config, for integration tests over real HTTP. With `netns` the daemon
// runs inside that network namespace and its API is forwarded to a loopback port here.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splice } from './splice.js';
import { waitFor } from './wait.js';

export const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const UNIX_FORWARD = fileURLToPath(new URL('./unix-forward.js', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** INI sections: section → option → value. */
export type IniSections = Record<string, Record<string, string | number | boolean>>;

/** The INI text of `sections`, as `inspectord serve --config` reads it. */
export function iniText(sections: IniSections): string {
  return Object.entries(sections)
    .map(
      ([section, values]) =>
        `[${section}]\n${Object.entries(values)
          .map(([k, v]) => `${k} = ${String(v)}`)
          .join('\n')}\n`,
    )
    .join('\n');
}

export interface DaemonHandle {
  /** The API as the test process reaches it (with `netns`, the loopback end of the forwarder). */
  url: string;
  /** listen_port (with `netns`, the port inside the namespace). */
  port: number;
  stateDir: string;
  configPath: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Start the daemon with `sections` (INI section → option → value) on top of test defaults. */
export async function startDaemon(
  sections: IniSections = {},
  options: {
    stateDir?: string;
    env?: Record<string, string>;
    /** Run the daemon inside this network namespace (`ip netns exec`); `url` is then a loopback
     *  port of the test process forwarded to it (peers inside use listenAddress and `port`). */
    netns?: string;
    /** listen_address (default 127.0.0.1, with `netns` 0.0.0.0); with `netns`, an address there. */
    listenAddress?: string;
  } = {},
): Promise<DaemonHandle> {
  const port = await freePort();
  const host = options.listenAddress;
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'inspectord-test-')));
  const merged: IniSections = {
    ...sections,
    // Most tests post /v1/continue as a foreign IPA ramdisk would (no token: ironic-inspector's
    // behaviour); tests of callback authentication set callback_auth themselves.
    processing: { callback_auth: 'none', ...sections.processing },
    DEFAULT: {
      listen_address: host ?? (options.netns ? '0.0.0.0' : '127.0.0.1'),
      listen_port: port,
      state_dir: stateDir,
      log_level: 'warn',
      ...sections.DEFAULT,
    },
  };
  const configPath = join(stateDir, 'inspector.conf');
  await writeFile(configPath, iniText(merged));
  const forward = options.netns
    ? await forwardIntoNetns(options.netns, stateDir, host ?? '127.0.0.1', port)
    : null;
  const url = forward ? `http://127.0.0.1:${forward.port}` : `http://${host ?? '127.0.0.1'}:${port}`;
  let out = '';
  const handle: DaemonHandle = {
    url,
    port,
    stateDir,
    configPath,
    child: undefined as unknown as ChildProcess,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const child = handle.child;
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill(signal);
      return exited;
    },
    async restart() {
      await launch();
    },
    async cleanup() {
      await handle.stop('SIGKILL');
      await forward?.close();
      if (!options.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
  const launch = async (): Promise<void> => {
    const argv = [process.execPath, MAIN, 'serve', '--config', configPath];
    // `ip netns exec` execs the command in place, so child.pid is the daemon's own PID (kill -9).
    const [cmd, ...args] = options.netns ? ['ip', 'netns', 'exec', options.netns, ...argv] : argv;
    const child = spawn(cmd!, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    handle.child = child;
    let exitedEarly = false;
    // A daemon that refuses to start fails the wait at once (not after the whole timeout).
    const exited = new Promise<never>((_resolve, reject) =>
      child.once('exit', (code) => {
        exitedEarly = true;
        reject(new Error(`daemon exited with ${code}: ${out}`));
      }),
    );
    exited.catch(() => undefined);
    await Promise.race([
      waitFor(
        async () => {
          if (exitedEarly) return true; // stop polling; the race is already lost
          // Ready = start-up finished (network boot included), not merely listening.
          const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
          const report = (await response.json()) as { status?: string };
          return report.status !== 'starting';
        },
        'the daemon to finish starting (GET /healthz)',
        20_000,
        100,
      ),
      exited,
    ]).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n--- daemon output ---\n${out}`);
    });
  };
  try {
    await launch();
  } catch (error) {
    await forward?.close();
    throw error;
  }
  return handle;
}

/**
 * Loopback TCP port here → Unix socket → a forwarder process inside `netns` → host:port there.
 * Unix sockets live in the filesystem, so they cross network namespaces. Both ends are closed (the
 * forwarder by its PID) by close().
 */
async function forwardIntoNetns(
  netns: string,
  dir: string,
  host: string,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const socketPath = join(dir, 'api-forward.sock');
  const child = spawn(
    'ip',
    ['netns', 'exec', netns, process.execPath, UNIX_FORWARD, socketPath, host, String(port)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const kill = (): void => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  await waitFor(() => output.includes('ready'), `the API forwarder in ${netns} (${output})`, 10_000).catch(
    (error: unknown) => {
      kill();
      throw error;
    },
  );
  const open = new Set<{ destroy(): void }>();
  const server: Server = createServer((inbound) => {
    const outbound = connect(socketPath);
    open.add(inbound);
    open.add(outbound);
    inbound.once('close', () => open.delete(inbound));
    outbound.once('close', () => open.delete(outbound));
    splice(inbound, outbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    async close() {
      kill();
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown; text: string; headers: Headers }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text, headers: response.headers };
}
