// POST /v1/continue: the ramdisk callback (public). 200 {"uuid"} (+ ipmi_* when credentials are
// being set); errors are 400 with a message the ramdisk logs, 401 when its one-time token
// (header `X-Inspectord-Token` or body field `token`, ADR 0008) is missing or refused.
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';

export const CALLBACK_TOKEN_HEADER = 'x-inspectord-token';

export async function registerContinueRoute(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.post('/v1/continue', async (request, reply) => {
    const header = request.headers[CALLBACK_TOKEN_HEADER];
    const token = typeof header === 'string' && header !== '' ? header : undefined;
    const result = await deps.introspection.continue(request.body, token === undefined ? {} : { token });
    return reply.code(200).send(result);
  });
}
