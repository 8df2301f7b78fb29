// Ironic port `local_link_connection` from LLDP (ironic-inspector local_link_connection hook):
// switch_id only when the chassis id is a MAC (802.1AB Table 8-2 subtype 4); port_id when the
// port id is a MAC, an interface name or locally assigned (Table 8-3 subtypes 3, 5, 7).
import { normalizeMac } from '../../core/node.js';
import type { LldpParseResult } from './types.js';

export interface LocalLinkConnectionValues {
  switch_id?: string;
  port_id?: string;
  /** The switch's System Name, when sent (Ironic uses it for display/ML2 drivers). */
  switch_info?: string;
}

const PORT_ID_SUBTYPES = [3, 5, 7];

/**
 * From a parse result. Subtypes come from the TLVs when known; for stored `lldp_processed`
 * without them (`{ processed }` only), a MAC-shaped chassis id is taken as a MAC.
 */
export function localLinkConnection(
  lldp: Pick<LldpParseResult, 'processed'> &
    Partial<Pick<LldpParseResult, 'chassisIdSubtype' | 'portIdSubtype'>>,
): LocalLinkConnectionValues {
  const p = lldp.processed;
  const out: LocalLinkConnectionValues = {};
  const chassis = p.switch_chassis_id;
  if (
    chassis !== undefined &&
    (lldp.chassisIdSubtype === undefined ? normalizeMac(chassis) === chassis : lldp.chassisIdSubtype === 4)
  ) {
    out.switch_id = chassis;
  }
  const port = p.switch_port_id;
  if (port && (lldp.portIdSubtype === undefined || PORT_ID_SUBTYPES.includes(lldp.portIdSubtype))) {
    out.port_id = port;
  }
  if (p.switch_system_name) out.switch_info = p.switch_system_name;
  return out;
}

/**
 * The patch the hook applies to a port's local_link_connection: only new keys unless
 * `overwriteExisting` ([processing] overwrite_existing). Returns null when nothing changes.
 */
export function mergeLocalLinkConnection(
  existing: Readonly<Record<string, unknown>>,
  found: LocalLinkConnectionValues,
  overwriteExisting: boolean,
): Record<string, unknown> | null {
  const merged: Record<string, unknown> = { ...existing };
  let changed = false;
  for (const [key, value] of Object.entries(found)) {
    if (value === undefined) continue;
    if (!overwriteExisting && key in existing) continue;
    if (merged[key] !== value) {
      merged[key] = value;
      changed = true;
    }
  }
  return changed ? merged : null;
}
