// HTTP boot from the daemon: static boot files (kernel, initramfs, loaders) with Range support and
// per-MAC iPXE scripts, as a fastify plugin-style function. One `http.fetch` event per response.
import fs from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../core/clock.js';
import type { EventSink } from '../core/events.js';
import { normalizeMac } from './boot-config.js';
import { parseRange } from './range.js';

export interface HttpClient {
  address: string;
  port: number;
}

/** The boot-root jail (main.ts passes the TFTP server's PathJail so both share one rule set). */
export interface BootFileResolver {
  resolve(
    requested: string,
  ): Promise<{ ok: true; path: string; relative: string; size: number } | { ok: false; reason: string }>;
}

export interface HttpBootDeps {
  files: BootFileResolver;
  /** iPXE script for a MAC (lower-case colon form); null → 404. */
  renderIpxe: (mac: string, client: HttpClient) => string | null | Promise<string | null>;
  events: EventSink;
  log: Logger;
  clock?: Clock;
  /** URL prefix; default `/boot` (files under `/boot/files/`, scripts under `/boot/ipxe/`). */
  prefix?: string;
}

type Outcome = 'complete' | 'aborted' | 'not-found' | 'refused' | 'unsatisfiable';

export function registerHttpBoot(app: FastifyInstance, deps: HttpBootDeps): void {
  const prefix = deps.prefix ?? '/boot';
  const clock = deps.clock ?? systemClock;

  const report = (
    req: FastifyRequest,
    file: string,
    outcome: Outcome,
    fields: { status: number; bytes: number; size?: number; range?: string; started: number; mac?: string },
  ): void => {
    const ms = clock.now() - fields.started;
    const client = { address: req.socket.remoteAddress ?? '', port: req.socket.remotePort ?? 0 };
    deps.events.emit({
      type: 'http.fetch',
      ...(fields.mac ? { mac: fields.mac } : {}),
      level: outcome === 'complete' ? 'info' : outcome === 'aborted' ? 'warn' : 'info',
      message:
        `HTTP ${req.method} ${file} to ${client.address}: ${outcome} (${fields.status}, ${fields.bytes} bytes` +
        `${fields.range ? `, range ${fields.range}` : ''}, ${ms} ms)`,
      data: {
        file,
        method: req.method,
        client,
        status: fields.status,
        bytes: fields.bytes,
        ...(fields.size !== undefined ? { size: fields.size } : {}),
        ...(fields.range ? { range: fields.range } : {}),
        ms,
        outcome,
      },
    });
  };

  const serveFile = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const started = clock.now();
    const requested = (req.params as { '*': string })['*'] ?? '';
    const jailed = await deps.files.resolve(requested);
    if (!jailed.ok) {
      const status = jailed.reason === 'not-found' ? 404 : 403;
      report(req, requested, status === 404 ? 'not-found' : 'refused', { status, bytes: 0, started });
      await reply
        .code(status)
        .type('text/plain')
        .send(status === 404 ? 'Not found\n' : 'Forbidden\n');
      return;
    }
    const { size } = jailed;
    const range = parseRange(req.headers.range, size);
    reply.header('accept-ranges', 'bytes').type('application/octet-stream');
    if (range.kind === 'unsatisfiable') {
      report(req, jailed.relative, 'unsatisfiable', {
        status: 416,
        bytes: 0,
        size,
        range: req.headers.range,
        started,
      });
      await reply.code(416).header('content-range', `bytes */${size}`).send();
      return;
    }
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : size - 1;
    const length = size === 0 ? 0 : end - start + 1;
    const rangeText = range.kind === 'partial' ? `${start}-${end}` : undefined;
    const status = range.kind === 'partial' ? 206 : 200;
    reply.code(status).header('content-length', String(length));
    if (range.kind === 'partial') reply.header('content-range', `bytes ${start}-${end}/${size}`);
    if (req.method === 'HEAD' || length === 0) {
      report(req, jailed.relative, 'complete', { status, bytes: 0, size, range: rangeText, started });
      await reply.send();
      return;
    }
    const stream = fs.createReadStream(jailed.path, { start, end, highWaterMark: 256 * 1024 });
    let bytes = 0;
    stream.on('data', (chunk) => {
      bytes += chunk.length;
    });
    // One event when the response is over, whether it finished or the client went away.
    let finished = false;
    reply.raw.once('finish', () => {
      finished = true;
    });
    reply.raw.once('close', () => {
      const outcome: Outcome =
        (finished || reply.raw.writableFinished) && bytes === length ? 'complete' : 'aborted';
      report(req, jailed.relative, outcome, { status, bytes, size, range: rangeText, started });
    });
    await reply.send(stream);
  };

  app.route({ method: ['GET', 'HEAD'], url: `${prefix}/files/*`, handler: serveFile });

  app.route({
    method: ['GET', 'HEAD'],
    url: `${prefix}/ipxe/:script`,
    handler: async (req, reply) => {
      const started = clock.now();
      const script = (req.params as { script: string }).script;
      const m = /^(.+)\.ipxe$/.exec(script);
      const mac = m?.[1] ? normalizeMac(m[1]) : null;
      const client = { address: req.socket.remoteAddress ?? '', port: req.socket.remotePort ?? 0 };
      const text = mac ? await deps.renderIpxe(mac, client) : null;
      const file = `ipxe/${script}`;
      if (text === null || !mac) {
        report(req, file, 'not-found', { status: 404, bytes: 0, started, ...(mac ? { mac } : {}) });
        await reply.code(404).type('text/plain').send('Not found\n');
        return;
      }
      const body = Buffer.from(text);
      report(req, file, 'complete', {
        status: 200,
        bytes: req.method === 'HEAD' ? 0 : body.length,
        started,
        mac,
      });
      await reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(body);
    },
  });
}
