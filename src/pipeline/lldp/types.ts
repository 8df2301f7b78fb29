// The `lldp_processed` document (ironic-inspector's names, read by `openstack baremetal
// introspection interface list/show`) and the parser's result shape.

export interface LldpVlan {
  id: number;
  name: string;
}

export interface LldpProcessed {
  switch_chassis_id?: string;
  switch_port_id?: string;
  switch_port_description?: string;
  switch_system_name?: string;
  switch_system_description?: string;
  switch_capabilities_support?: string[];
  switch_capabilities_enabled?: string[];
  switch_mgmt_addresses?: string[];
  switch_port_untagged_vlan_id?: number;
  switch_port_vlans?: LldpVlan[];
  switch_port_protocol_vlan_enabled?: boolean;
  switch_port_protocol_vlan_support?: boolean;
  switch_port_protocol_vlan_ids?: number[];
  switch_port_management_vlan_id?: number;
  switch_port_link_aggregation_enabled?: boolean;
  switch_port_link_aggregation_support?: boolean;
  switch_port_link_aggregation_id?: number;
  switch_port_autonegotiation_enabled?: boolean;
  switch_port_autonegotiation_support?: boolean;
  switch_port_physical_capabilities?: string[];
  switch_port_mau_type?: string;
  switch_port_mtu?: number;
  switch_protocol_identities?: string[];
}

export interface LldpParseResult {
  processed: LldpProcessed;
  /** One line per TLV that was skipped as malformed (never thrown). */
  warnings: string[];
  /** IEEE 802.1AB Table 8-2 subtype of the first valid Chassis ID TLV (4 = MAC address). */
  chassisIdSubtype?: number;
  /** IEEE 802.1AB Table 8-3 subtype of the first valid Port ID TLV (3 = MAC, 5 = ifName, 7 = local). */
  portIdSubtype?: number;
}

/** A raw TLV as IPA sends it: `[type, "hexvalue"]` (value without the 2-byte TLV header). */
export type RawTlv = [number, string];
