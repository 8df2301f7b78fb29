// The HTTP API (fastify): ironic-inspector v1 (1.0–1.18) plus our node-inventory and timeline
// extensions. Cross-cutting behaviour lives here: version headers on every response, version
// negotiation, auth, body parsing (malformed JSON → 400), errors as {"error":{"message"}}.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { isAppError } from '../core/errors.js';
import type { LogLike } from '../core/log.js';
import { parseJsonBody } from './json-body.js';
import { registerRootRoutes } from './routes/root.js';
import { registerIntrospectionRoutes } from './routes/introspection.js';
import { registerContinueRoute } from './routes/continue.js';
import { registerRuleRoutes } from './routes/rules.js';
import { registerNodeRoutes } from './routes/nodes.js';
import { registerEventRoutes } from './routes/events.js';
import { registerPowerRoutes } from './routes/power.js';
import { registerRuleReplayRoutes } from './routes/rule-replay.js';
import { registerReviewRoutes } from './routes/review.js';
import { registerBmcCredentialRoutes } from './routes/bmc-credentials.js';
import { MAX_VERSION, MIN_VERSION, parseRequestedVersion } from './version.js';
import type { ApiDeps } from './deps.js';

export type { ApiDeps } from './deps.js';

/** The path of a request URL, without the query string (which may carry new_ipmi_password). */
function pathOf(url: string): string {
  return url.split('?')[0] ?? '';
}

/** Paths served without authentication (the reference's public routes, plus health). */
export function isPublicPath(url: string): boolean {
  const path = pathOf(url);
  return (
    path === '/' ||
    /^\/v\d+\/?$/.test(path) ||
    path === '/v1/continue' ||
    path === '/healthz' ||
    path.startsWith('/boot/')
  );
}

export interface BuildOptions {
  /** Fastify logger; false in tests. */
  logger?: boolean | object;
  bodyLimit: number;
  /** Further unauthenticated paths, asked per request (e.g. /metrics when metrics_auth = false). */
  isPublic?: (path: string) => boolean;
  /** Extra routes registered by main.ts (HTTP boot, metrics …). */
  register?: (app: FastifyInstance) => void | Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    apiVersion: [number, number];
  }
}

function errorBody(message: string): { error: { message: string } } {
  return { error: { message } };
}

export async function buildApp(deps: ApiDeps, options: BuildOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit,
    // Ironic node names may contain dots and tildes; keep route params raw.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
    // Router-level rejections (a param over maxParamLength → 414, bad %-encoding → 400) in our
    // error format too; fastify's default body has no {"error":{"message"}} (found by fuzzing).
    frameworkErrors: (error, _request, reply) => {
      void (reply as FastifyReply).code(error.statusCode ?? 400).send(errorBody(error.message));
    },
  });
  const log: LogLike = deps.log;

  // The reference parses bodies with a forced JSON parse: Content-Type is ignored.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    try {
      done(null, parseJsonBody(body));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.decorateRequest('apiVersion', null as unknown as [number, number]);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-OpenStack-Ironic-Inspector-API-Minimum-Version', MIN_VERSION.join('.'));
    reply.header('X-OpenStack-Ironic-Inspector-API-Maximum-Version', MAX_VERSION.join('.'));
    reply.header('OpenStack-API-Minimum-Version', `baremetal-introspection ${MIN_VERSION.join('.')}`);
    reply.header('OpenStack-API-Maximum-Version', `baremetal-introspection ${MAX_VERSION.join('.')}`);
    request.apiVersion = parseRequestedVersion(request.headers);
    reply.header('X-OpenStack-Ironic-Inspector-API-Version', request.apiVersion.join('.'));
    reply.header('OpenStack-API-Version', `baremetal-introspection ${request.apiVersion.join('.')}`);
    if (!isPublicPath(request.url) && !options.isPublic?.(pathOf(request.url)))
      await deps.auth.check(request.headers.authorization);
  });

  app.setErrorHandler(
    (error: Error & { statusCode?: number; code?: string }, request: FastifyRequest, reply: FastifyReply) => {
      if (isAppError(error)) {
        if (error.status >= 500)
          log.error({ err: error.message, code: error.code, path: pathOf(request.url) }, 'request failed');
        if (error.code === 'ERR_API_UNAUTHORIZED')
          reply.header('WWW-Authenticate', 'Basic realm="inspectord"');
        return reply.code(error.status).send(errorBody(error.message));
      }
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return reply
          .code(413)
          .send(errorBody(`Request body is larger than the limit of ${options.bodyLimit} bytes`));
      }
      // fastify's own 4xx (validation errors carry 400, unsupported media 415 …), in our format.
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
        return reply.code(error.statusCode).send(errorBody(error.message));
      log.error({ err: error.message, stack: error.stack, path: pathOf(request.url) }, 'unexpected error');
      return reply.code(500).send(errorBody('Internal server error'));
    },
  );

  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    const version = /^\/(v\d+)(\/|$)/.exec(path);
    if (version && version[1] !== 'v1') {
      return reply.code(404).send(errorBody(`Version ${version[1]} not found.`));
    }
    return reply
      .code(404)
      .send(errorBody(`404 Not Found: The requested URL ${path} was not found on the server.`));
  });

  await registerRootRoutes(app, deps);
  await registerContinueRoute(app, deps);
  await registerIntrospectionRoutes(app, deps);
  await registerRuleRoutes(app, deps);
  await registerNodeRoutes(app, deps);
  await registerEventRoutes(app, deps);
  await registerPowerRoutes(app, deps);
  await registerRuleReplayRoutes(app, deps);
  await registerReviewRoutes(app, deps);
  await registerBmcCredentialRoutes(app, deps);
  if (options.register) await options.register(app);
  return app;
}

/** Absolute base URL of the request (scheme, host, and any proxy prefix). */
export function requestRoot(request: FastifyRequest): string {
  const forwardedProto = request.headers['x-forwarded-proto'];
  const forwardedHost = request.headers['x-forwarded-host'];
  const proto = typeof forwardedProto === 'string' ? forwardedProto.split(',')[0]!.trim() : request.protocol;
  const host =
    typeof forwardedHost === 'string'
      ? forwardedHost.split(',')[0]!.trim()
      : (request.headers.host ?? 'localhost');
  const prefix =
    typeof request.headers['x-forwarded-prefix'] === 'string'
      ? request.headers['x-forwarded-prefix'].replace(/\/$/, '')
      : '';
  return `${proto}://${host}${prefix}`;
}
