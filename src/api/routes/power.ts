// Power and boot device of a node, shaped like Ironic's: GET /v1/nodes/<id>/states,
// PUT /v1/nodes/<id>/states/power {"target"}, PUT /v1/nodes/<id>/management/boot_device.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import type { BmcTarget, BootDevice, PowerAction } from '../../core/power.js';
import type { ApiDeps } from '../deps.js';

const TARGETS: Record<string, PowerAction> = {
  'power on': 'on',
  'power off': 'off',
  rebooting: 'cycle',
  'soft power off': 'soft',
};
const DEVICES: BootDevice[] = ['pxe', 'disk', 'bios', 'cdrom'];

type Params = { id: string };

export async function registerPowerRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const targetOf = (id: string): BmcTarget => {
    const node = deps.nodes.require(id);
    if (!deps.power)
      throw new AppError(
        'ERR_INTROSPECTION_MANAGE_BOOT',
        'Power control is disabled ([ipmi] enabled = false)',
      );
    const target = deps.introspection.bmcTarget(node);
    if (!target) {
      throw new AppError(
        'ERR_IPMI_NO_CREDENTIALS',
        `Node ${node.uuid} needs driver_info ipmi_address, ipmi_username and ipmi_password`,
      );
    }
    return target;
  };

  app.get('/v1/nodes/:id/states', async (request: FastifyRequest<{ Params: Params }>) => {
    const target = targetOf(request.params.id);
    const state = await deps.power!.getPowerState(target);
    return { power_state: state, target_power_state: null };
  });

  app.put('/v1/nodes/:id/states/power', async (request: FastifyRequest<{ Params: Params }>, reply) => {
    const body = request.body as Record<string, unknown> | undefined;
    const action = typeof body?.target === 'string' ? TARGETS[body.target] : undefined;
    if (!action) {
      throw new AppError('ERR_API_BAD_BODY', `"target" must be one of: ${Object.keys(TARGETS).join(', ')}`);
    }
    await deps.power!.setPower(targetOf(request.params.id), action);
    return reply.code(202).send({});
  });

  app.put(
    '/v1/nodes/:id/management/boot_device',
    async (request: FastifyRequest<{ Params: Params }>, reply) => {
      const body = request.body as Record<string, unknown> | undefined;
      const device = body?.boot_device;
      if (typeof device !== 'string' || !DEVICES.includes(device as BootDevice)) {
        throw new AppError('ERR_API_BAD_BODY', `"boot_device" must be one of: ${DEVICES.join(', ')}`);
      }
      const persistent = body?.persistent === undefined ? false : body.persistent;
      if (typeof persistent !== 'boolean')
        throw new AppError('ERR_API_BAD_BODY', '"persistent" must be true or false');
      await deps.power!.setBootDevice(targetOf(request.params.id), device as BootDevice, { persistent });
      return reply.code(204).type('text/plain').send('');
    },
  );
}
