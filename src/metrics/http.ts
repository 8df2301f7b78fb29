// GET /metrics (Prometheus text) and per-request API instrumentation, as a fastify plugin the
// composition root registers on the API app (BuildOptions.register).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { outcomeOf, type InspectordMetrics } from './families.js';
import type { PromMetrics } from './registry.js';

export interface MetricsRouteDeps {
  metrics: PromMetrics;
  families: InspectordMetrics;
}

const CALLBACK_ROUTE = '/v1/continue';
const failures = new WeakMap<FastifyRequest, unknown>();

/** Route template (`/v1/introspection/:node_id`), never the raw URL: label values stay bounded. */
function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

export function registerMetricsRoutes(app: FastifyInstance, deps: MetricsRouteDeps): void {
  app.addHook('onError', async (request, _reply, error) => {
    failures.set(request, error);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = routeOf(request);
    const method = request.method;
    deps.families.apiRequests.inc({ method, route, status: reply.statusCode });
    deps.families.apiDuration.observe({ method, route }, reply.elapsedTime / 1000);
    if (route === CALLBACK_ROUTE && method === 'POST') {
      const error = failures.get(request);
      const outcome =
        error !== undefined ? outcomeOf(error) : reply.statusCode < 400 ? 'ok' : `http_${reply.statusCode}`;
      deps.families.callbacks.inc({ outcome });
    }
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.scrape();
    return reply.header('content-type', deps.metrics.contentType).send(text);
  });
}
