// Introspection endpoints of API v1: start, status, list, abort, data, reapply.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import { parseStrictBool } from '../../core/strict-bool.js';
import { isState, type IntrospectionState } from '../../core/states.js';
import type { IntrospectionRecord } from '../../core/introspection-record.js';
import { requestRoot } from '../app.js';
import type { ApiDeps } from '../deps.js';

export function parseBoolParam(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const parsed = parseStrictBool(String(value));
  if (parsed !== null) return parsed;
  throw new AppError('ERR_API_BAD_PARAM', `Invalid boolean value for ${name}: ${String(value)}`);
}

export function formatStatus(record: IntrospectionRecord, root: string): Record<string, unknown> {
  return {
    uuid: record.uuid,
    finished: record.finished_at !== null,
    state: record.state,
    error: record.error,
    started_at: record.started_at,
    finished_at: record.finished_at,
    links: [{ rel: 'self', href: `${root}/v1/introspection/${record.uuid}` }],
  };
}

type Params = { node_id: string };
type Query = Record<string, string | undefined>;

function single(query: Query, name: string): string | undefined {
  const value = query[name] as unknown;
  return Array.isArray(value) ? String(value[value.length - 1]) : (value as string | undefined);
}

export async function registerIntrospectionRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const svc = deps.introspection;

  app.post(
    '/v1/introspection/:node_id',
    async (request: FastifyRequest<{ Params: Params; Querystring: Query }>, reply) => {
      const query = request.query;
      const manageBoot = parseBoolParam('manage_boot', single(query, 'manage_boot'), true);
      const newPassword = single(query, 'new_ipmi_password');
      const newUsername = single(query, 'new_ipmi_username');
      await svc.start(request.params.node_id, {
        manageBoot,
        ...(newPassword !== undefined ? { newIpmiPassword: newPassword } : {}),
        ...(newUsername !== undefined ? { newIpmiUsername: newUsername } : {}),
      });
      return reply.code(202).send({});
    },
  );

  app.get('/v1/introspection/:node_id', async (request: FastifyRequest<{ Params: Params }>) =>
    formatStatus(svc.status(request.params.node_id), requestRoot(request)),
  );

  app.get('/v1/introspection', async (request: FastifyRequest<{ Querystring: Query }>) => {
    const query = request.query;
    const max = deps.settings.apiMaxLimit;
    let limit = max;
    const limitText = single(query, 'limit');
    if (limitText !== undefined) {
      const n = Number(limitText);
      if (!/^-?\d+$/.test(limitText.trim()) || n < 0) {
        throw new AppError('ERR_API_BAD_PARAM', `Limit must be a non-negative integer, got ${limitText}`);
      }
      if (n > max) throw new AppError('ERR_API_BAD_PARAM', `Limit cannot exceed ${max} (api_max_limit)`);
      limit = n === 0 ? max : n;
    }
    const marker = single(query, 'marker');
    if (marker !== undefined && !/^[0-9a-f-]{36}$/i.test(marker)) {
      throw new AppError('ERR_API_BAD_PARAM', `Marker must be a UUID, got ${marker}`);
    }
    let states: IntrospectionState[] | undefined;
    const stateText = single(query, 'state');
    if (stateText !== undefined) {
      states = [];
      for (const s of stateText
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)) {
        if (!isState(s)) throw new AppError('ERR_API_BAD_PARAM', `Invalid state "${s}" in the state filter`);
        states.push(s);
      }
    }
    const root = requestRoot(request);
    const records = svc.list({
      limit,
      ...(marker ? { marker: marker.toLowerCase() } : {}),
      ...(states ? { states } : {}),
    });
    return { introspection: records.map((r) => formatStatus(r, root)) };
  });

  app.post('/v1/introspection/:node_id/abort', async (request: FastifyRequest<{ Params: Params }>, reply) => {
    await svc.abort(request.params.node_id);
    return reply.code(202).send({});
  });

  for (const [path, kind] of [
    ['/v1/introspection/:node_id/data', 'processed'],
    ['/v1/introspection/:node_id/data/unprocessed', 'unprocessed'],
  ] as const) {
    app.get(path, async (request: FastifyRequest<{ Params: Params }>, reply) => {
      const json = await svc.getData(request.params.node_id, kind);
      return reply.code(200).type('application/json').send(json);
    });
  }

  app.post(
    '/v1/introspection/:node_id/data/unprocessed',
    async (request: FastifyRequest<{ Params: Params }>, reply) => {
      const body = request.body;
      if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
        throw new AppError('ERR_API_BAD_BODY', 'Invalid data: expected a JSON object');
      }
      await svc.reapply(request.params.node_id, body as Record<string, unknown> | undefined);
      return reply.code(202).send({});
    },
  );
}
