// POST /v1/nodes/<id>/bmc/credentials: out-of-band BMC credential rotation. The answer names the
// new user and slot, never the password (the operator knows it only if they chose it).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import type { ApiDeps } from '../deps.js';

const FIELDS = ['username', 'password', 'disable_previous'];

export async function registerBmcCredentialRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.post('/v1/nodes/:id/bmc/credentials', async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const raw = request.body ?? {};
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new AppError('ERR_API_BAD_BODY', 'The body must be a JSON object');
    const body = raw as Record<string, unknown>;
    const unknown = Object.keys(body).filter((k) => !FIELDS.includes(k));
    if (unknown.length > 0)
      throw new AppError(
        'ERR_API_BAD_BODY',
        `Unknown field(s): ${unknown.join(', ')} (allowed: ${FIELDS.join(', ')})`,
      );
    for (const key of ['username', 'password'] as const) {
      if (body[key] !== undefined && typeof body[key] !== 'string')
        throw new AppError('ERR_API_BAD_BODY', `"${key}" must be a string`);
    }
    if (body.disable_previous !== undefined && typeof body.disable_previous !== 'boolean')
      throw new AppError('ERR_API_BAD_BODY', '"disable_previous" must be true or false');
    deps.nodes.require(request.params.id);
    if (!deps.bmcCredentials) throw new AppError('ERR_IPMI_DISABLED');
    return deps.bmcCredentials.rotate(request.params.id, {
      ...(body.username !== undefined ? { username: body.username as string } : {}),
      ...(body.password !== undefined ? { password: body.password as string } : {}),
      ...(body.disable_previous !== undefined ? { disablePrevious: body.disable_previous as boolean } : {}),
    });
  });
}
