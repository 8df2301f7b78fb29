// IEEE 802.1AB-2016 §8.5 basic TLVs: Chassis ID (§8.5.2), Port ID (§8.5.3), TTL (§8.5.4),
// Port Description (§8.5.5), System Name (§8.5.6), System Description (§8.5.7),
// System Capabilities (§8.5.8) and Management Address (§8.5.9).
import { formatIanaAddress, formatMac } from './address.js';
import { exactLength, u16, type LldpCollector, type TlvHandler } from './collector.js';
import { decodeText } from './text.js';

function text(info: Uint8Array, out: LldpCollector, what: string): string {
  const t = decodeText(info);
  if (t.lossy) out.warnings.push(`${what}: not valid UTF-8, decoded as Latin-1`);
  return t.value;
}

/** Chassis ID (Table 8-2) and Port ID (Table 8-3) share the `subtype + id` layout. */
function decodeId(
  info: Uint8Array,
  out: LldpCollector,
  what: string,
  macSubtype: number,
  addressSubtype: number,
  validSubtypes: readonly number[],
): { subtype: number; value: string } | string {
  if (info.length < 2) return `${what}: expected subtype and at least 1 byte of id, got ${info.length} bytes`;
  const subtype = info[0] ?? 0;
  const id = info.subarray(1);
  if (!validSubtypes.includes(subtype)) return `${what}: reserved subtype ${subtype}`;
  if (subtype === macSubtype) {
    if (id.length !== 6) return `${what}: MAC address must be 6 bytes, got ${id.length}`;
    return { subtype, value: formatMac(id) };
  }
  if (subtype === addressSubtype) {
    // §8.5.2.3: network address = IANA address family number + address.
    const addr = formatIanaAddress(id[0] ?? 0, id.subarray(1));
    return addr.ok ? { subtype, value: addr.value } : `${what}: ${addr.error}`;
  }
  return { subtype, value: text(id, out, what) };
}

export const chassisIdTlv: TlvHandler = (info, out) => {
  // Table 8-2: 1 chassis component, 2 interface alias, 3 port component, 4 MAC address,
  // 5 network address, 6 interface name, 7 locally assigned.
  const r = decodeId(info, out, 'Chassis ID', 4, 5, [1, 2, 3, 4, 5, 6, 7]);
  if (typeof r === 'string') return r;
  if (out.chassisIdSubtype === undefined) out.chassisIdSubtype = r.subtype;
  out.set('switch_chassis_id', r.value);
  return null;
};

export const portIdTlv: TlvHandler = (info, out) => {
  // Table 8-3: 1 interface alias, 2 port component, 3 MAC address, 4 network address,
  // 5 interface name, 6 agent circuit ID (RFC 3046), 7 locally assigned.
  const r = decodeId(info, out, 'Port ID', 3, 4, [1, 2, 3, 4, 5, 6, 7]);
  if (typeof r === 'string') return r;
  if (out.portIdSubtype === undefined) out.portIdSubtype = r.subtype;
  out.set('switch_port_id', r.value);
  return null;
};

export const ttlTlv: TlvHandler = (info) => exactLength('Time To Live', info, 2);

export const portDescriptionTlv: TlvHandler = (info, out) => {
  out.set('switch_port_description', text(info, out, 'Port Description'));
  return null;
};

export const systemNameTlv: TlvHandler = (info, out) => {
  out.set('switch_system_name', text(info, out, 'System Name'));
  return null;
};

export const systemDescriptionTlv: TlvHandler = (info, out) => {
  out.set('switch_system_description', text(info, out, 'System Description'));
  return null;
};

// Table 8-4 bit assignments (bit 1 = LSB); "Other" (bit 1) is not reported, as in ironic.
const CAPABILITY_BITS: Array<[number, string]> = [
  [0x0002, 'Repeater'],
  [0x0004, 'Bridge'],
  [0x0008, 'WLAN'],
  [0x0010, 'Router'],
  [0x0020, 'Telephone'],
  [0x0040, 'DOCSIS cable device'],
  [0x0080, 'Station only'],
  [0x0100, 'C-Vlan'],
  [0x0200, 'S-Vlan'],
  [0x0400, 'TPMR'],
];

function capabilityNames(bits: number): string[] {
  return CAPABILITY_BITS.filter(([mask]) => (bits & mask) !== 0).map(([, name]) => name);
}

export const systemCapabilitiesTlv: TlvHandler = (info, out) => {
  // §8.5.8: 2 octets system capabilities + 2 octets enabled capabilities.
  const e = exactLength('System Capabilities', info, 4);
  if (e) return e;
  out.set('switch_capabilities_support', capabilityNames(u16(info, 0)));
  out.set('switch_capabilities_enabled', capabilityNames(u16(info, 2)));
  return null;
};

export const managementAddressTlv: TlvHandler = (info, out) => {
  // §8.5.9: address string length (1 + address, 2..32), address subtype (IANA family),
  // address, then interface numbering subtype, number and OID (not reported).
  if (info.length < 9) return `Management Address: too short (${info.length} bytes)`;
  const len = info[0] ?? 0;
  if (len < 2 || len > 32 || 1 + len > info.length)
    return `Management Address: invalid address string length ${len}`;
  const family = info[1] ?? 0;
  const addr = formatIanaAddress(family, info.subarray(2, 1 + len));
  if (!addr.ok) return `Management Address: ${addr.error}`;
  out.append('switch_mgmt_addresses', addr.value);
  return null;
};
