// Ironic's `properties.capabilities` string `k:v,k:v` (a dict is also accepted on read, as
// ironic's capabilities_to_dict does); key order is kept. Shared by hooks and rule actions.

/** Parse to an ordered map; `stringify` renders values of a dict given instead of a string. */
export function parseCapabilities(
  caps: unknown,
  stringify: (v: unknown) => string = String,
): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof caps === 'object' && caps !== null && !Array.isArray(caps)) {
    for (const [k, v] of Object.entries(caps)) if (v !== null && v !== undefined) out.set(k, stringify(v));
    return out;
  }
  if (typeof caps !== 'string' || caps.trim() === '') return out;
  for (const entry of caps.split(',')) {
    if (entry === '') continue;
    const idx = entry.indexOf(':');
    // An entry without a colon is kept as a key with an empty value rather than dropped.
    if (idx < 0) out.set(entry, '');
    else out.set(entry.slice(0, idx), entry.slice(idx + 1));
  }
  return out;
}

export function formatCapabilities(caps: ReadonlyMap<string, string>): string {
  return [...caps.entries()].map(([k, v]) => `${k}:${v}`).join(',');
}
