// local_link_connection: for each interface that has a port on the node, the switch_id/port_id
// (and switch_info) learnt from LLDP go into the port's local_link_connection, new keys only
// unless overwrite_existing (reference §5). Raw TLVs are preferred: they carry the id subtypes.
import { normalizeMac } from '../../core/node.js';
import { asRecord, type ProcessingHook } from '../hook.js';
import { localLinkConnection, mergeLocalLinkConnection } from '../lldp/local-link-connection.js';
import { parseLldpTlvs } from '../lldp/parse.js';
import type { LldpProcessed } from '../lldp/types.js';
import { rawLldpOf } from './lldp-basic.js';

export const localLinkConnectionHook: ProcessingHook = {
  name: 'local_link_connection',
  dependsOn: ['validate_interfaces'],
  async beforeUpdate(data, context) {
    const all = asRecord(data.all_interfaces);
    for (const [name, value] of Object.entries(all)) {
      const info = asRecord(value);
      const mac = normalizeMac(info.mac);
      const port = mac === null ? undefined : context.nodes.portByAddress(mac);
      if (!port || port.node_uuid !== context.node.uuid) continue;
      const raw = rawLldpOf(data, name);
      const found =
        raw !== undefined
          ? localLinkConnection(parseLldpTlvs(raw))
          : info.lldp_processed !== undefined
            ? localLinkConnection({ processed: asRecord(info.lldp_processed) as LldpProcessed })
            : null;
      if (found === null) continue;
      const patch = mergeLocalLinkConnection(
        port.local_link_connection,
        found,
        context.settings.overwriteExisting,
      );
      if (patch === null) continue;
      await context.nodes.updatePort(port.uuid, (p) => {
        p.local_link_connection = patch;
      });
      context.log.info({ iface: name, mac, local_link_connection: patch }, 'port local_link_connection set');
    }
  },
};
