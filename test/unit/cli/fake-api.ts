// A tiny recording HTTP server on 127.0.0.1 that answers like the inspectord API, plus a runner
// that calls runCli against it with captured stdout/stderr, and temporary input files.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/index.js';
import type { ServeArgs } from '../../../src/cli/index.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface Reply {
  status?: number;
  /** Object → JSON; string → sent as is. */
  body?: unknown;
  contentType?: string;
}

export type Handler = (
  request: RecordedRequest,
  res: ServerResponse,
) => Reply | undefined | Promise<Reply | undefined>;

export class FakeApi {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Handler>();
  private server: Server | undefined;
  url = '';

  /** Route key: "METHOD /path" (exact path, query ignored). Later registrations win. */
  on(key: string, handler: Handler | Reply): this {
    this.routes.set(key, typeof handler === 'function' ? handler : () => handler);
    return this;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Requests other than the event-baseline reads, as "METHOD path?query". */
  lines(): string[] {
    return this.requests.map((r) => {
      const q = new URLSearchParams(r.query).toString();
      return `${r.method} ${r.path}${q ? `?${q}` : ''}`;
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.requests.push(recorded);
    const handler = this.routes.get(`${recorded.method} ${recorded.path}`);
    const reply = handler
      ? await handler(recorded, res)
      : { status: 404, body: { error: { message: `no route ${recorded.method} ${recorded.path}` } } };
    if (reply === undefined) return; // the handler answered by itself (SSE)
    const status = reply.status ?? 200;
    const body =
      reply.body === undefined
        ? ''
        : typeof reply.body === 'string'
          ? reply.body
          : JSON.stringify(reply.body);
    res.writeHead(status, {
      'content-type': reply.contentType ?? (status === 204 ? 'text/plain' : 'application/json'),
    });
    res.end(body);
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  served: ServeArgs[];
}

export async function cli(
  argv: string[],
  options: {
    env?: Record<string, string | undefined>;
    signal?: AbortSignal;
    /** Sees stdout as it grows (for commands that run until interrupted). */
    onStdout?: (stdout: string) => void;
  } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const served: ServeArgs[] = [];
  const code = await runCli(
    argv,
    {
      serve: async (args) => {
        served.push(args);
      },
    },
    {
      stdout: {
        write: (s: string) => {
          stdout += s;
          options.onStdout?.(stdout);
        },
      },
      stderr: { write: (s: string) => (stderr += s) },
      env: options.env ?? {},
      // Always a signal, so that runCli never adds process SIGINT listeners in tests.
      signal: options.signal ?? new AbortController().signal,
    },
  );
  return { code, stdout, stderr, served };
}

export const NODE_UUID = '1a2b3c4d-0000-4000-8000-000000000001';
export const NODE2_UUID = '1a2b3c4d-0000-4000-8000-000000000002';
export const RULE_UUID = '9e8d7c6b-0000-4000-8000-00000000000a';

export function statusBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: NODE_UUID,
    finished: false,
    state: 'waiting',
    error: null,
    started_at: '2024-01-01T10:00:00.000',
    finished_at: null,
    links: [{ rel: 'self', href: `http://x/v1/introspection/${NODE_UUID}` }],
    ...overrides,
  };
}

type Teardown = { teardown: (f: () => Promise<void>) => void };

/** A fresh directory removed when the test ends. */
export async function tempDir(t: Teardown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'inspectord-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A file `name` holding `text` in a fresh directory removed when the test ends; returns its path. */
export async function tempFile(t: Teardown, name: string, text: string): Promise<string> {
  const path = join(await tempDir(t), name);
  await writeFile(path, text);
  return path;
}
