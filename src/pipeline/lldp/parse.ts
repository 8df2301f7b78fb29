// Parse the raw LLDP TLVs IPA reports (`inventory.interfaces[].lldp`, `lldp_raw[iface]`:
// `[[type, "hex"], …]`) into ironic-inspector's `lldp_processed`. Never throws: malformed
// entries are skipped and described in `warnings`; unknown TLV types/OUIs are ignored.
import {
  chassisIdTlv,
  managementAddressTlv,
  portDescriptionTlv,
  portIdTlv,
  systemCapabilitiesTlv,
  systemDescriptionTlv,
  systemNameTlv,
  ttlTlv,
} from './basic-tlvs.js';
import { LldpCollector, type TlvHandler } from './collector.js';
import { DOT1_OUI, dot1Handlers } from './dot1-tlvs.js';
import { DOT3_OUI, dot3Handlers } from './dot3-tlvs.js';
import type { LldpParseResult } from './types.js';

/** IEEE 802.1AB-2016 Table 8-1 TLV type values. */
export const TLV_TYPE = {
  END: 0,
  CHASSIS_ID: 1,
  PORT_ID: 2,
  TTL: 3,
  PORT_DESCRIPTION: 4,
  SYSTEM_NAME: 5,
  SYSTEM_DESCRIPTION: 6,
  SYSTEM_CAPABILITIES: 7,
  MANAGEMENT_ADDRESS: 8,
  ORGANIZATIONALLY_SPECIFIC: 127,
} as const;

const orgSpecific: TlvHandler = (info, out) => {
  // §8.6: OUI (3) + subtype (1) + information string.
  if (info.length < 4) return `Organizationally Specific: too short (${info.length} bytes)`;
  const oui = Buffer.from(info.subarray(0, 3)).toString('hex');
  const subtype = info[3] ?? 0;
  const handlers = oui === DOT1_OUI ? dot1Handlers : oui === DOT3_OUI ? dot3Handlers : undefined;
  const handler = handlers?.get(subtype);
  return handler ? handler(info.subarray(4), out) : null;
};

const HANDLERS: ReadonlyMap<number, TlvHandler> = new Map([
  [TLV_TYPE.END, () => null],
  [TLV_TYPE.CHASSIS_ID, chassisIdTlv],
  [TLV_TYPE.PORT_ID, portIdTlv],
  [TLV_TYPE.TTL, ttlTlv],
  [TLV_TYPE.PORT_DESCRIPTION, portDescriptionTlv],
  [TLV_TYPE.SYSTEM_NAME, systemNameTlv],
  [TLV_TYPE.SYSTEM_DESCRIPTION, systemDescriptionTlv],
  [TLV_TYPE.SYSTEM_CAPABILITIES, systemCapabilitiesTlv],
  [TLV_TYPE.MANAGEMENT_ADDRESS, managementAddressTlv],
  [TLV_TYPE.ORGANIZATIONALLY_SPECIFIC, orgSpecific],
]);

function decodeHex(value: unknown): Uint8Array | null {
  if (typeof value !== 'string') return null;
  const hex = value.trim();
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** Parse `[[type, hex], …]`; anything that is not such a list yields an empty result + warning. */
export function parseLldpTlvs(tlvs: unknown): LldpParseResult {
  const out = new LldpCollector();
  if (!Array.isArray(tlvs)) {
    out.warnings.push('LLDP data is not a list of [type, hex] pairs');
    return out.result();
  }
  tlvs.forEach((entry: unknown, i) => {
    if (!Array.isArray(entry) || entry.length !== 2 || !Number.isInteger(entry[0])) {
      out.warnings.push(`TLV #${i}: not a [type, hex] pair`);
      return;
    }
    const type = entry[0] as number;
    const info = decodeHex(entry[1]);
    if (!info) {
      out.warnings.push(`TLV #${i} (type ${type}): value is not a hexadecimal string`);
      return;
    }
    // §8.4.1: the information string length field is 9 bits.
    if (info.length > 511) {
      out.warnings.push(`TLV #${i} (type ${type}): value longer than 511 bytes`);
      return;
    }
    const handler = HANDLERS.get(type);
    if (!handler) return;
    const error = handler(info, out);
    if (error) out.warnings.push(`TLV #${i} (type ${type}): ${error}`);
  });
  return out.result();
}

/**
 * Split an LLDPDU (the payload after the Ethernet header, EtherType 0x88CC) into IPA's
 * `[[type, hex], …]` form (§8.4: 7-bit type, 9-bit length). Stops at End Of LLDPDU; a
 * truncated TLV ends the list with a warning.
 */
export function splitLldpdu(pdu: Uint8Array): { tlvs: Array<[number, string]>; warnings: string[] } {
  const tlvs: Array<[number, string]> = [];
  const warnings: string[] = [];
  let at = 0;
  while (at + 2 <= pdu.length) {
    const header = ((pdu[at] ?? 0) << 8) | (pdu[at + 1] ?? 0);
    const type = header >> 9;
    const length = header & 0x1ff;
    if (at + 2 + length > pdu.length) {
      warnings.push(`TLV at offset ${at} (type ${type}) runs past the end of the LLDPDU`);
      break;
    }
    if (type === TLV_TYPE.END) break;
    tlvs.push([type, Buffer.from(pdu.subarray(at + 2, at + 2 + length)).toString('hex')]);
    at += 2 + length;
  }
  return { tlvs, warnings };
}
