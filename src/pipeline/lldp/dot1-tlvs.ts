// IEEE 802.1 organizationally specific TLVs (OUI 00-80-C2), IEEE 802.1Q-2014 Annex D:
// Port VLAN ID (D.2.1), Port and Protocol VLAN ID (D.2.2), VLAN Name (D.2.3), Protocol
// Identity (D.2.4), Management VID (D.2.6) and Link Aggregation (D.2.7, from IEEE 802.1AX).
import { exactLength, u16, u32, type TlvHandler } from './collector.js';
import { decodeText } from './text.js';

export const DOT1_OUI = '0080c2';

const portVlanId: TlvHandler = (info, out) => {
  const e = exactLength('802.1 Port VLAN ID', info, 2);
  if (e) return e;
  out.set('switch_port_untagged_vlan_id', u16(info, 0));
  return null;
};

const portProtocolVlanId: TlvHandler = (info, out) => {
  // Flags: bit 2 (0x02) supported, bit 3 (0x04) enabled; then the 2-octet PPVID.
  const e = exactLength('802.1 Port and Protocol VLAN ID', info, 3);
  if (e) return e;
  const flags = info[0] ?? 0;
  out.set('switch_port_protocol_vlan_enabled', (flags & 0x04) !== 0);
  out.set('switch_port_protocol_vlan_support', (flags & 0x02) !== 0);
  out.append('switch_port_protocol_vlan_ids', u16(info, 1));
  return null;
};

const vlanName: TlvHandler = (info, out) => {
  // VID (2), VLAN name length (1, 0..32), VLAN name.
  if (info.length < 3) return `802.1 VLAN Name: too short (${info.length} bytes)`;
  const nameLength = info[2] ?? 0;
  if (nameLength > 32 || 3 + nameLength !== info.length) {
    return `802.1 VLAN Name: name length ${nameLength} does not match ${info.length - 3} remaining bytes`;
  }
  const name = decodeText(info.subarray(3));
  if (name.lossy) out.warnings.push('802.1 VLAN Name: not valid UTF-8, decoded as Latin-1');
  out.append('switch_port_vlans', { id: u16(info, 0), name: name.value });
  return null;
};

const protocolIdentity: TlvHandler = (info, out) => {
  // Length (1) + the protocol's first octets (e.g. an Ethertype and header), shown as hex.
  if (info.length < 1) return '802.1 Protocol Identity: empty';
  const length = info[0] ?? 0;
  if (1 + length !== info.length)
    return `802.1 Protocol Identity: length ${length} does not match ${info.length - 1}`;
  out.append('switch_protocol_identities', Buffer.from(info.subarray(1)).toString('hex'));
  return null;
};

const managementVid: TlvHandler = (info, out) => {
  const e = exactLength('802.1 Management VID', info, 2);
  if (e) return e;
  out.set('switch_port_management_vlan_id', u16(info, 0));
  return null;
};

/** Link aggregation status: bit 1 (0x01) capable, bit 2 (0x02) enabled; 4-octet port id. */
export function linkAggregation(name: string): TlvHandler {
  return (info, out) => {
    const e = exactLength(name, info, 5);
    if (e) return e;
    const status = info[0] ?? 0;
    out.set('switch_port_link_aggregation_enabled', (status & 0x02) !== 0);
    out.set('switch_port_link_aggregation_support', (status & 0x01) !== 0);
    out.set('switch_port_link_aggregation_id', u32(info, 1));
    return null;
  };
}

export const dot1Handlers: ReadonlyMap<number, TlvHandler> = new Map([
  [1, portVlanId],
  [2, portProtocolVlanId],
  [3, vlanName],
  [4, protocolIdentity],
  [6, managementVid],
  [7, linkAggregation('802.1 Link Aggregation')],
]);
