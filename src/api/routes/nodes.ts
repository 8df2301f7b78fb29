// Node inventory REST (our extension, shaped like Ironic's): nodes and their ports. Passwords
// are write-only: every response goes through redactNode.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import { redactNode, type NodeRecord, type PortRecord } from '../../core/node.js';
import type { NewNode, NewPort } from '../../core/node-repository.js';
import type { PatchOperation } from '../../core/json-patch.js';
import { requestRoot } from '../app.js';
import type { ApiDeps } from '../deps.js';

const NODE_FIELDS = [
  'uuid',
  'name',
  'driver',
  'driver_info',
  'properties',
  'extra',
  'traits',
  'provision_state',
  'maintenance',
];
const PORT_FIELDS = ['address', 'pxe_enabled', 'local_link_connection', 'physical_network', 'extra'];

export function formatNode(node: NodeRecord, root: string): Record<string, unknown> {
  return { ...redactNode(node), links: [{ rel: 'self', href: `${root}/v1/nodes/${node.uuid}` }] };
}

export function formatPort(port: PortRecord, root: string): Record<string, unknown> {
  return { ...port, links: [{ rel: 'self', href: `${root}/v1/ports/${port.uuid}` }] };
}

function requireObject(body: unknown, what: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('ERR_API_BAD_BODY', `${what} must be a JSON object`);
  }
  return body as Record<string, unknown>;
}

function rejectUnknown(body: Record<string, unknown>, allowed: string[], what: string): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw new AppError('ERR_API_BAD_BODY', `unknown ${what} field(s): ${unknown.join(', ')}`);
}

export async function registerNodeRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const changed = (): void => deps.onNodesChanged?.();

  app.get('/v1/nodes', async (request) => {
    const root = requestRoot(request);
    return { nodes: deps.nodes.list().map((n) => formatNode(n, root)) };
  });

  app.post('/v1/nodes', async (request, reply) => {
    const body = requireObject(request.body, 'node');
    rejectUnknown(body, [...NODE_FIELDS, 'ports'], 'node');
    const ports = body.ports;
    if (ports !== undefined && !Array.isArray(ports))
      throw new AppError('ERR_API_BAD_BODY', 'ports must be a list');
    const portInputs = (ports ?? []).map((p: unknown) => {
      const port = requireObject(p, 'port');
      rejectUnknown(port, PORT_FIELDS, 'port');
      return port as unknown as NewPort;
    });
    const { ports: _ignored, ...nodeInput } = body;
    const node = await deps.nodes.create(nodeInput as NewNode, { ports: portInputs });
    changed();
    return reply.code(201).send(formatNode(node, requestRoot(request)));
  });

  app.get('/v1/nodes/:id', async (request: FastifyRequest<{ Params: { id: string } }>) =>
    formatNode(deps.nodes.require(request.params.id), requestRoot(request)),
  );

  app.patch('/v1/nodes/:id', async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const node = deps.nodes.require(request.params.id);
    if (!Array.isArray(request.body))
      throw new AppError('ERR_API_BAD_BODY', 'PATCH body must be a JSON patch list');
    const updated = await deps.nodes.patch(node.uuid, request.body as PatchOperation[]);
    changed();
    return formatNode(updated, requestRoot(request));
  });

  app.delete('/v1/nodes/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const node = deps.nodes.require(request.params.id);
    const record = deps.introspection.record(node.uuid);
    if (record && record.finished_at === null) {
      throw new AppError('ERR_NODE_CONFLICT', `Node ${node.uuid} is being introspected; abort it first`);
    }
    await deps.nodes.delete(node.uuid);
    changed();
    return reply.code(204).type('text/plain').send('');
  });

  app.get('/v1/nodes/:id/ports', async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const node = deps.nodes.require(request.params.id);
    const root = requestRoot(request);
    return { ports: deps.nodes.listPorts(node.uuid).map((p) => formatPort(p, root)) };
  });

  app.post('/v1/nodes/:id/ports', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const node = deps.nodes.require(request.params.id);
    const body = requireObject(request.body, 'port');
    rejectUnknown(body, PORT_FIELDS, 'port');
    const port = await deps.nodes.createPort(node.uuid, body as unknown as NewPort);
    changed();
    return reply.code(201).send(formatPort(port, requestRoot(request)));
  });

  app.delete('/v1/ports/:uuid', async (request: FastifyRequest<{ Params: { uuid: string } }>, reply) => {
    await deps.nodes.deletePort(request.params.uuid.toLowerCase());
    changed();
    return reply.code(204).type('text/plain').send('');
  });

  app.get('/v1/ports', async (request) => {
    const root = requestRoot(request);
    return { ports: deps.nodes.listPorts().map((p) => formatPort(p, root)) };
  });

  app.get('/v1/discovery', async () => ({ enabled: deps.discovery.get() }));
  app.put('/v1/discovery', async (request) => {
    const body = requireObject(request.body, 'discovery setting');
    if (typeof body.enabled !== 'boolean')
      throw new AppError('ERR_API_BAD_BODY', '"enabled" must be true or false');
    await deps.discovery.set(body.enabled);
    changed();
    return { enabled: deps.discovery.get() };
  });
}
