// physnet_cidr_map: a port whose interface IP lies in a [port_physnet] cidr_map CIDR gets that
// physical_network (reference §5). Without a map the hook does nothing.
import { normalizeMac } from '../../core/node.js';
import { asArray, asRecord, type ProcessingHook } from '../hook.js';
import { physnetForInterface } from '../hook-logic/physnet-cidr-map.js';

export const physnetCidrMapHook: ProcessingHook = {
  name: 'physnet_cidr_map',
  async beforeUpdate(data, context) {
    const map = context.settings.cidrMap ?? [];
    if (map.length === 0) return;
    for (const iface of asArray(asRecord(data.inventory).interfaces).map(asRecord)) {
      const mac = normalizeMac(iface.mac_address);
      const port = mac === null ? undefined : context.nodes.portByAddress(mac);
      if (!port || port.node_uuid !== context.node.uuid) continue;
      const physnet = physnetForInterface(iface, map);
      if (physnet === null || port.physical_network === physnet) continue;
      await context.nodes.updatePort(port.uuid, (p) => {
        p.physical_network = physnet;
      });
      context.log.info({ mac, physnet }, 'port physical_network set from cidr_map');
    }
  },
};
