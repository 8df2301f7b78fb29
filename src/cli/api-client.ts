// The CLI's HTTP client of the daemon API: base URL, basic auth, API version header, error
// mapping ({"error":{"message"}} → exit 1, connection failures → exit 3) and SSE streaming.
import { CliFailure, EXIT, usageError } from './failure.js';

/** The newest API microversion this CLI speaks (ironic-inspector 1.18, reference §1.2). */
export const API_VERSION = '1.18';

export interface ApiClientOptions {
  url: string;
  user?: string | undefined;
  password?: string | undefined;
  /** Per-request timeout for ordinary (non-streaming) requests. */
  requestTimeoutMs?: number;
  /** Aborts every request (Ctrl-C). */
  signal?: AbortSignal;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  /** JSON-encoded when not a string/Buffer; strings and Buffers are sent as they are. */
  body?: unknown;
}

export interface ApiResponse {
  status: number;
  bytes: Buffer;
  text: string;
}

/** Why a fetch failed: its cause (ECONNREFUSED …) rather than the bare "fetch failed". */
export function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code && cause.message)
    return cause.message.includes(cause.code) ? cause.message : `${cause.code}: ${cause.message}`;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Message of an error answer: the reference's error body, else the raw text (reference §2.1). */
export function errorMessage(status: number, statusText: string, text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } };
    if (parsed && typeof parsed.error?.message === 'string') return parsed.error.message;
    return `HTTP ${status} ${statusText}: the answer has no error message (does the URL point at inspectord?)`;
  } catch {
    const trimmed = text.trim();
    return trimmed ? trimmed.slice(0, 500) : `HTTP ${status} ${statusText}`;
  }
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly authorization: string | undefined;
  private readonly timeoutMs: number;
  private readonly signal: AbortSignal | undefined;

  constructor(options: ApiClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw usageError(`--url "${options.url}" is not a URL`);
    }
    // Checked first: fetch refuses such URLs with an error (shown as "cannot reach …") that would
    // echo the password, and so would the messages below.
    if (parsed.username !== '' || parsed.password !== '')
      throw usageError(
        '--url must not hold a user name or password: use --user/--password (or INSPECTORD_USER and INSPECTORD_PASSWORD)',
      );
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw usageError(`--url "${options.url}" must be an http:// or https:// URL`);
    // Like the reference client, accept the root URL or one ending in /v1.
    this.baseUrl = parsed.href.replace(/\/+$/, '').replace(/\/v1$/, '');
    if ((options.user === undefined) !== (options.password === undefined))
      throw usageError('--user and --password go together (or INSPECTORD_USER and INSPECTORD_PASSWORD)');
    this.authorization =
      options.user !== undefined
        ? `Basic ${Buffer.from(`${options.user}:${options.password ?? ''}`).toString('base64')}`
        : undefined;
    this.timeoutMs = options.requestTimeoutMs ?? 60_000;
    this.signal = options.signal;
  }

  url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {}))
      if (value !== undefined) params.set(key, String(value));
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ''}`;
  }

  private headers(hasBody: boolean, accept = 'application/json'): Record<string, string> {
    const headers: Record<string, string> = {
      accept,
      'user-agent': 'inspectord-cli',
      'x-openstack-ironic-inspector-api-version': API_VERSION,
    };
    if (hasBody) headers['content-type'] = 'application/json';
    if (this.authorization) headers.authorization = this.authorization;
    return headers;
  }

  private unreachable(error: unknown): CliFailure {
    if (this.signal?.aborted) return new CliFailure(EXIT.interrupted, 'interrupted');
    if ((error as Error)?.name === 'TimeoutError')
      return new CliFailure(
        EXIT.unreachable,
        `no answer from inspectord at ${this.baseUrl} within ${Math.round(this.timeoutMs / 1000)} s`,
      );
    return new CliFailure(
      EXIT.unreachable,
      `cannot reach inspectord at ${this.baseUrl}: ${describeCause(error)}`,
    );
  }

  private async fail(response: Response, text: string): Promise<never> {
    let message = errorMessage(response.status, response.statusText, text);
    if (response.status === 401 && !this.authorization)
      message += ' (give --user/--password or INSPECTORD_USER/INSPECTORD_PASSWORD)';
    throw new CliFailure(EXIT.api, message, response.status);
  }

  /** One request; resolves on 1xx–3xx (reference §2.3: any status below 400 is success). */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const hasBody = options.body !== undefined;
    const body =
      options.body === undefined
        ? undefined
        : typeof options.body === 'string' || Buffer.isBuffer(options.body)
          ? options.body
          : JSON.stringify(options.body);
    let response: Response;
    let bytes: Buffer;
    try {
      response = await fetch(this.url(path, options.query), {
        method,
        headers: this.headers(hasBody),
        ...(body !== undefined ? { body } : {}),
        signal: this.signal
          ? AbortSignal.any([this.signal, AbortSignal.timeout(this.timeoutMs)])
          : AbortSignal.timeout(this.timeoutMs),
      });
      bytes = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      throw this.unreachable(error);
    }
    const text = bytes.toString('utf8');
    if (response.status >= 400) await this.fail(response, text);
    return { status: response.status, bytes, text };
  }

  /** A request whose answer is JSON; an empty body (204) gives undefined. */
  async json<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, options);
    if (response.text.trim() === '') return undefined as T;
    try {
      return JSON.parse(response.text) as T;
    } catch {
      throw new CliFailure(EXIT.api, `${method} ${path}: the daemon answered with invalid JSON`);
    }
  }

  /**
   * Server-Sent Events (the event stream of GET /v1/events?follow=1): yields each `data:` payload
   * until the server closes the stream (→ exit 3) or `signal` aborts (→ returns normally).
   */
  async *stream(path: string, query: Query, signal: AbortSignal): AsyncGenerator<string> {
    let response: Response;
    try {
      response = await fetch(this.url(path, query), {
        headers: this.headers(false, 'text/event-stream'),
        signal,
      });
    } catch (error) {
      if (signal.aborted) return;
      throw this.unreachable(error);
    }
    if (response.status >= 400) await this.fail(response, await response.text());
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    let data: string[] = [];
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          // HTML Living Standard §9.2.6: a blank line dispatches the event; ':' lines are comments.
          if (line === '') {
            if (data.length > 0) yield data.join('\n');
            data = [];
          } else if (line.startsWith('data:')) {
            data.push(line.slice(5).replace(/^ /, ''));
          }
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      throw this.unreachable(error);
    }
    if (signal.aborted) return;
    throw new CliFailure(EXIT.unreachable, `inspectord at ${this.baseUrl} closed the event stream`);
  }
}
