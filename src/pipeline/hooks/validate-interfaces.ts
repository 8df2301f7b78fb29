// validate_interfaces: builds all_interfaces / interfaces / macs from the inventory (phase 1)
// and creates, updates and deletes the node's ports per add_ports / keep_ports (phase 2).
import { isLoopback } from '../../core/lookup.js';
import { normalizeBootInterface, normalizeMac } from '../../core/node.js';
import { HookError, asArray, asRecord, type ProcessingHook } from '../hook.js';

interface InterfaceInfo {
  ip: string | null;
  mac: string;
  client_id: string | null;
  pxe: boolean;
  [key: string]: unknown;
}

export const validateInterfacesHook: ProcessingHook = {
  name: 'validate_interfaces',
  beforeProcessing(data, context) {
    const inventory = asRecord(data.inventory);
    const interfaces = asArray(inventory.interfaces).map(asRecord);
    if (interfaces.length === 0) throw new HookError('No network interfaces provided in the inventory');
    if (typeof inventory.bmc_address === 'string') data.ipmi_address = inventory.bmc_address;
    if (typeof inventory.bmc_v6address === 'string') data.ipmi_v6address = inventory.bmc_v6address;
    const bootInterface = normalizeBootInterface(
      data.boot_interface ?? asRecord(inventory.boot).pxe_interface,
    );
    const all: Record<string, InterfaceInfo> = {};
    for (const iface of interfaces) {
      const name = iface.name;
      const mac = normalizeMac(iface.mac_address);
      if (typeof name !== 'string' || name === '' || mac === null) {
        context.log.debug(
          { iface: name, mac: iface.mac_address },
          'skipping interface without a name or a valid MAC',
        );
        continue;
      }
      const v4 =
        typeof iface.ipv4_address === 'string' && iface.ipv4_address !== '' ? iface.ipv4_address : null;
      const v6 =
        typeof iface.ipv6_address === 'string' && iface.ipv6_address !== ''
          ? iface.ipv6_address.split('%')[0]!
          : null;
      all[name] = {
        ip: v4 ?? v6,
        mac,
        client_id: typeof iface.client_id === 'string' ? iface.client_id : null,
        pxe: bootInterface !== null && mac === bootInterface,
      };
    }
    data.all_interfaces = all;
    const mode = context.settings.addPorts;
    const active = (info: InterfaceInfo, name: string): boolean =>
      name !== 'lo' && info.ip !== null && !isLoopback(info.ip);
    let selected: Record<string, InterfaceInfo>;
    const pick = (predicate: (info: InterfaceInfo, name: string) => boolean): Record<string, InterfaceInfo> =>
      Object.fromEntries(Object.entries(all).filter(([name, info]) => predicate(info, name)));
    if (mode === 'all' || mode === 'disabled') selected = pick((_info, name) => name !== 'lo');
    else if (mode === 'active') selected = pick(active);
    else {
      selected = bootInterface !== null ? pick((info) => info.pxe) : pick(active);
      if (Object.keys(selected).length === 0 && bootInterface !== null) selected = pick(active);
    }
    if (Object.keys(selected).length === 0) {
      throw new HookError(
        `No suitable interfaces found in ${JSON.stringify(Object.fromEntries(Object.entries(all).map(([n, i]) => [n, i.mac])))} (add_ports=${mode})`,
      );
    }
    data.interfaces = selected;
    data.macs = Object.values(selected).map((info) => info.mac);
  },
  async beforeUpdate(data, context) {
    const { settings, nodes, node } = context;
    const all = asRecord(data.all_interfaces) as Record<string, InterfaceInfo>;
    const selected = asRecord(data.interfaces) as Record<string, InterfaceInfo>;
    const pxeByMac = new Map(Object.values(all).map((info) => [info.mac, info.pxe]));
    const hasBootInterface = Object.values(all).some((info) => info.pxe);
    if (settings.addPorts !== 'disabled') {
      for (const info of Object.values(selected)) {
        const existing = nodes.portByAddress(info.mac);
        if (existing) {
          if (existing.node_uuid !== node.uuid) {
            context.log.warn(
              { mac: info.mac, owner: existing.node_uuid },
              'port already belongs to another node',
            );
          }
          continue;
        }
        await nodes.createPort(node.uuid, {
          address: info.mac,
          pxe_enabled: settings.updatePxeEnabled && hasBootInterface ? info.pxe : true,
          ...(info.client_id ? { extra: { 'client-id': info.client_id } } : {}),
        });
      }
    }
    if (settings.keepPorts !== 'all' && !['active', 'rescue'].includes(node.provision_state)) {
      const keep =
        settings.keepPorts === 'present'
          ? new Set(Object.values(all).map((info) => info.mac))
          : new Set(asArray(data.macs).map(String));
      for (const port of nodes.listPorts(node.uuid)) {
        if (!keep.has(port.address)) await nodes.deletePort(port.uuid);
      }
    }
    if (settings.overwriteExisting && settings.updatePxeEnabled && hasBootInterface) {
      for (const port of nodes.listPorts(node.uuid)) {
        const pxe = pxeByMac.get(port.address);
        if (pxe !== undefined && port.pxe_enabled !== pxe) {
          await nodes.updatePort(port.uuid, (p) => {
            p.pxe_enabled = pxe;
          });
        }
      }
    }
  },
};
