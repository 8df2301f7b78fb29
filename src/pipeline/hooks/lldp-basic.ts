// lldp_basic: raw LLDP TLVs (`lldp_raw[iface]`, else `inventory.interfaces[].lldp`) parsed into
// `all_interfaces[iface].lldp_processed` with the reference's field names (reference §2.2, §5).
import type { IntrospectionData } from '../../core/lookup.js';
import { asArray, asRecord, type ProcessingHook } from '../hook.js';
import { parseLldpTlvs } from '../lldp/parse.js';

/** The raw TLVs of one interface: `lldp_raw` first (IPA's current key), then the inventory. */
export function rawLldpOf(data: IntrospectionData, name: string): unknown {
  const raw = asRecord(data.lldp_raw)[name];
  if (Array.isArray(raw) && raw.length > 0) return raw;
  const iface = asArray(asRecord(data.inventory).interfaces)
    .map(asRecord)
    .find((i) => i.name === name);
  const lldp = iface?.lldp;
  return Array.isArray(lldp) && lldp.length > 0 ? lldp : undefined;
}

export const lldpBasicHook: ProcessingHook = {
  name: 'lldp_basic',
  dependsOn: ['validate_interfaces'],
  beforeUpdate(data, context) {
    const all = asRecord(data.all_interfaces);
    for (const [name, value] of Object.entries(all)) {
      const tlvs = rawLldpOf(data, name);
      if (tlvs === undefined) continue;
      const parsed = parseLldpTlvs(tlvs);
      for (const warning of parsed.warnings) context.log.warn({ iface: name }, `LLDP: ${warning}`);
      const info = asRecord(value);
      info.lldp_processed = parsed.processed;
      all[name] = info;
    }
  },
};
