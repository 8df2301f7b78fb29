// The "needs review" list (our extension): inventories whose identity matched two nodes.
// GET /v1/review, GET /v1/review/<id> (with the data), POST /v1/review/<id>/resolve with
// {"node": uuid|name} (merge into it and process) or {"action": "discard"}.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import type { ApiDeps, ReviewApi } from '../deps.js';

type WithId = FastifyRequest<{ Params: { id: string } }>;

export async function registerReviewRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const review = (): ReviewApi => {
    if (!deps.review) throw new AppError('ERR_API_NOT_FOUND', 'The review list is not available');
    return deps.review;
  };
  app.get('/v1/review', async () => ({
    review: review()
      .list()
      .map((e) => ({ ...e, links: [{ rel: 'self', href: `/v1/review/${e.id}` }] })),
  }));
  app.get('/v1/review/:id', async (request: WithId) => review().show(request.params.id));
  app.post('/v1/review/:id/resolve', async (request: WithId) => {
    const result = await review().resolve(request.params.id, request.body);
    deps.onNodesChanged?.();
    return result;
  });
}
