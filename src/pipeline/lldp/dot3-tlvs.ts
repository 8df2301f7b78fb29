// IEEE 802.3 organizationally specific TLVs (OUI 00-12-0F), IEEE 802.3 Clause 79:
// MAC/PHY Configuration/Status (79.3.1), Link Aggregation (79.3.3, deprecated in favour of the
// 802.1 TLV, same layout) and Maximum Frame Size (79.3.4).
import { exactLength, u16, type TlvHandler } from './collector.js';
import { linkAggregation } from './dot1-tlvs.js';
import { mauTypeName } from './mau-types.js';

export const DOT3_OUI = '00120f';

// PMD auto-negotiation advertised capability: RFC 4836 IANAifMauAutoNegCapBits, SNMP BITS
// order (bit 0 = most significant bit of the first octet). Bit 0 "other" is not reported.
const PMD_BITS: Array<[number, string]> = [
  [1, '10BASE-T hdx'],
  [2, '10BASE-T fdx'],
  [3, '10BASE-T4'],
  [4, '100BASE-TX hdx'],
  [5, '100BASE-TX fdx'],
  [6, '100BASE-T2 hdx'],
  [7, '100BASE-T2 fdx'],
  [8, 'PAUSE fdx'],
  [9, 'Asym PAUSE fdx'],
  [10, 'Sym PAUSE fdx'],
  [11, 'Asym and Sym PAUSE fdx'],
  [12, '1000BASE-X hdx'],
  [13, '1000BASE-X fdx'],
  [14, '1000BASE-T hdx'],
  [15, '1000BASE-T fdx'],
];

const macPhyConfigStatus: TlvHandler = (info, out) => {
  // Auto-negotiation support/status (1: bit 1 = 0x01 supported, bit 2 = 0x02 enabled),
  // PMD advertised capability (2), operational MAU type (2).
  const e = exactLength('802.3 MAC/PHY Configuration/Status', info, 5);
  if (e) return e;
  const autoneg = info[0] ?? 0;
  const pmd = u16(info, 1);
  const caps = PMD_BITS.filter(([bit]) => (pmd & (0x8000 >> bit)) !== 0).map(([, name]) => name);
  const mau = u16(info, 3);
  out.set('switch_port_autonegotiation_enabled', (autoneg & 0x02) !== 0);
  out.set('switch_port_autonegotiation_support', (autoneg & 0x01) !== 0);
  out.set('switch_port_physical_capabilities', caps.sort());
  const name = mauTypeName(mau);
  // Types past RFC 4836's list (e.g. 54, which lldpd reports for a 10G veth) are not malformed.
  out.set('switch_port_mau_type', name ?? `Unknown MAU type ${mau}`);
  return null;
};

const maxFrameSize: TlvHandler = (info, out) => {
  const e = exactLength('802.3 Maximum Frame Size', info, 2);
  if (e) return e;
  out.set('switch_port_mtu', u16(info, 0));
  return null;
};

export const dot3Handlers: ReadonlyMap<number, TlvHandler> = new Map([
  [1, macPhyConfigStatus],
  [3, linkAggregation('802.3 Link Aggregation')],
  [4, maxFrameSize],
]);
