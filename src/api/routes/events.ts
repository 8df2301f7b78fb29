// The boot timeline: GET /v1/events?mac=…|node=…[&after=&limit=&type=] and, with follow=1, a
// Server-Sent-Events stream of new events.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import { normalizeMac } from '../../core/node.js';
import type { EventQuery } from '../../core/ports.js';
import type { ApiDeps } from '../deps.js';

type Query = Record<string, string | undefined>;

export async function registerEventRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get('/v1/events', async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
    const q = request.query;
    const query: EventQuery = {};
    if (q.mac !== undefined) {
      const mac = normalizeMac(q.mac);
      if (!mac) throw new AppError('ERR_API_BAD_PARAM', `mac "${q.mac}" is not a MAC address`);
      query.mac = mac;
    }
    if (q.node !== undefined) query.node = deps.nodes.get(q.node)?.uuid ?? q.node.toLowerCase();
    if (q.after !== undefined) {
      if (!/^\d+$/.test(q.after))
        throw new AppError('ERR_API_BAD_PARAM', 'after must be an event sequence number');
      query.after = Number(q.after);
    }
    if (q.limit !== undefined) {
      if (!/^\d+$/.test(q.limit)) throw new AppError('ERR_API_BAD_PARAM', 'limit must be a positive integer');
      query.limit = Math.min(Number(q.limit), 10_000);
    }
    if (q.type !== undefined) query.types = q.type.split(',').filter(Boolean);
    if (q.follow === '1' || q.follow === 'true') {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      for (const event of deps.events.query(query)) raw.write(`data: ${JSON.stringify(event)}\n\n`);
      const stop = deps.events.follow(query, (event) => raw.write(`data: ${JSON.stringify(event)}\n\n`));
      const ping = setInterval(() => raw.write(': ping\n\n'), 15_000);
      request.raw.on('close', () => {
        clearInterval(ping);
        stop();
      });
      return reply;
    }
    return { events: deps.events.query(query) };
  });
}
