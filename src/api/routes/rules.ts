// Introspection rules CRUD (API 1.2+; 201 on create from 1.6, 200 before).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import type { RuleRecord } from '../../core/introspection-record.js';
import { atLeast } from '../version.js';
import type { ApiDeps } from '../deps.js';

export function formatRule(rule: RuleRecord, full: boolean): Record<string, unknown> {
  const links = [{ href: `/v1/rules/${rule.uuid}`, rel: 'self' }];
  if (!full) return { uuid: rule.uuid, description: rule.description, scope: rule.scope, links };
  // Rules from [rules] rules_file carry `source: "file"` (an extra key clients ignore, ADR 0011).
  const source = (rule as { source?: unknown }).source;
  return {
    uuid: rule.uuid,
    description: rule.description,
    scope: rule.scope,
    conditions: rule.conditions,
    actions: rule.actions,
    ...(source === 'file' ? { source } : {}),
    links,
  };
}

export async function registerRuleRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get('/v1/rules', async () => ({ rules: deps.rules.list().map((r) => formatRule(r, false)) }));

  app.post('/v1/rules', async (request, reply) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new AppError('ERR_RULE_INVALID', 'Invalid rule: the body must be a JSON object');
    }
    const rule = await deps.rules.create(body);
    return reply.code(atLeast(request.apiVersion, [1, 6]) ? 201 : 200).send(formatRule(rule, true));
  });

  app.delete('/v1/rules', async (_request, reply) => {
    await deps.rules.deleteAll();
    return reply.code(204).type('text/plain').send('');
  });

  app.get('/v1/rules/:uuid', async (request: FastifyRequest<{ Params: { uuid: string } }>) =>
    formatRule(deps.rules.get(request.params.uuid), true),
  );

  app.delete('/v1/rules/:uuid', async (request: FastifyRequest<{ Params: { uuid: string } }>, reply) => {
    await deps.rules.delete(request.params.uuid);
    return reply.code(204).type('text/plain').send('');
  });
}
