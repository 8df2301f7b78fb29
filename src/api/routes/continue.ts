// POST /v1/continue: the ramdisk callback (public). 200 {"uuid"} (+ ipmi_* when credentials are
// being set); errors are 400 with a message the ramdisk logs.
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';

export async function registerContinueRoute(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.post('/v1/continue', async (request, reply) => {
    const result = await deps.introspection.continue(request.body);
    return reply.code(200).send(result);
  });
}
