// Runs a real `inspectord serve` (dist/src/main.js) as a child process on loopback with a
// temporary state dir and config, for integration tests over real HTTP.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

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

export interface DaemonHandle {
  url: string;
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
  sections: Record<string, Record<string, string | number | boolean>> = {},
  options: {
    stateDir?: string;
    command?: string[];
    env?: Record<string, string>;
    /** Run under `ip netns exec NETNS` (`ip netns exec` execs node, so child.pid stays the daemon's);
     *  readiness is then probed with curl inside the namespace. */
    netns?: string;
    /** listen_address and URL host (default 127.0.0.1); with `netns`, an address inside it. */
    listenAddress?: string;
    /** Same as listenAddress (kept for tests that say host). */
    host?: string;
  } = {},
): Promise<DaemonHandle> {
  const port = await freePort();
  const host = options.listenAddress ?? options.host ?? '127.0.0.1';
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'inspectord-test-')));
  const merged: Record<string, Record<string, string | number | boolean>> = {
    ...sections,
    // Most tests post /v1/continue as a foreign IPA ramdisk would (no token: ironic-inspector's
    // behaviour); tests of callback authentication set callback_auth themselves.
    processing: { callback_auth: 'none', ...sections.processing },
    DEFAULT: {
      listen_address: host,
      listen_port: port,
      state_dir: stateDir,
      log_level: 'warn',
      ...sections.DEFAULT,
    },
  };
  const ini = Object.entries(merged)
    .map(
      ([section, values]) =>
        `[${section}]\n${Object.entries(values)
          .map(([k, v]) => `${k} = ${String(v)}`)
          .join('\n')}\n`,
    )
    .join('\n');
  const configPath = join(stateDir, 'inspector.conf');
  await writeFile(configPath, ini);
  const url = `http://${host}:${port}`;
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
      if (!options.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
  const launch = async (): Promise<void> => {
    const argv = [process.execPath, MAIN, 'serve', '--config', configPath];
    const netns = options.netns;
    const [cmd, ...args] = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
    const child = spawn(cmd as string, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    handle.child = child;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${out}`);
        if (netns) {
          return new Promise<boolean>((resolve) =>
            execFile('ip', ['netns', 'exec', netns, 'curl', '-sf', '-o', '/dev/null', `${url}/`], (e) =>
              resolve(e === null),
            ),
          );
        }
        const response = await fetch(`${url}/`);
        return response.ok;
      },
      'the daemon to answer GET /',
      20_000,
      100,
    ).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n--- daemon output ---\n${out}`);
    });
  };
  await launch();
  return handle;
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
