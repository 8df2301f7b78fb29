// Address renderings used in LLDP TLVs: MAC as `aa:bb:cc:dd:ee:ff`, IPv4 dotted quad, IPv6 in
// RFC 5952 canonical text, selected by IANA Address Family Numbers (1 IPv4, 2 IPv6, 6 802 MAC).

export function formatMac(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function formatIpv4(bytes: Uint8Array): string {
  return [...bytes].join('.');
}

/** RFC 5952 §4: lowercase, no leading zeros, longest run (≥2) of zero groups as `::`. */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/** IANA Address Family Numbers registry → expected length and formatter. */
const FAMILIES: Record<number, { name: string; length: number; format: (b: Uint8Array) => string }> = {
  1: { name: 'IPv4', length: 4, format: formatIpv4 },
  2: { name: 'IPv6', length: 16, format: formatIpv6 },
  6: { name: 'MAC', length: 6, format: formatMac },
};

/** Render an address of the given IANA family, or return an error text. */
export function formatIanaAddress(
  family: number,
  bytes: Uint8Array,
): { ok: true; value: string } | { ok: false; error: string } {
  const f = FAMILIES[family];
  if (!f) return { ok: false, error: `unsupported address family ${family}` };
  if (bytes.length !== f.length) {
    return { ok: false, error: `${f.name} address must be ${f.length} bytes, got ${bytes.length}` };
  }
  return { ok: true, value: f.format(bytes) };
}
