// Discovery documents: GET / (versions) and GET /v1 (resources), both public; /healthz.
import type { FastifyInstance } from 'fastify';
import { requestRoot } from '../app.js';
import { MAX_VERSION } from '../version.js';
import type { ApiDeps } from '../deps.js';

export async function registerRootRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get('/', async (request) => ({
    versions: [
      {
        id: MAX_VERSION.join('.'),
        status: 'CURRENT',
        links: [{ rel: 'self', href: `${requestRoot(request)}/v1` }],
      },
    ],
  }));
  app.get('/v1', async (request) => {
    const root = requestRoot(request);
    return {
      resources: ['continue', 'introspection', 'rules'].map((name) => ({
        name,
        links: [{ rel: 'self', href: `${root}/v1/${name}` }],
      })),
    };
  });
  app.get('/healthz', async (_request, reply) => {
    if (!deps.health) return { status: 'ok' };
    const report = await deps.health();
    if (report.status === 'ok') return { status: 'ok' };
    // 503 lets load balancers and readiness polling tell "up but broken" (or "still starting")
    // from "up".
    return reply.code(503).send(report);
  });
}
