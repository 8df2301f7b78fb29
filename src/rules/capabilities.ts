// The Ironic `properties.capabilities` string `k:v,k:v` (a dict is also accepted on read, as
// ironic's capabilities_to_dict does); order of existing keys is kept on update.
import { pythonStr } from './python-format.js';

export function parseCapabilities(caps: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof caps === 'object' && caps !== null && !Array.isArray(caps)) {
    for (const [k, v] of Object.entries(caps)) if (v !== null && v !== undefined) out.set(k, pythonStr(v));
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

export function formatCapabilities(caps: Map<string, string>): string {
  return [...caps.entries()].map(([k, v]) => `${k}:${v}`).join(',');
}

/** Set (or with null/undefined remove) one capability; returns the new string. */
export function updateCapability(caps: unknown, name: string, value: unknown): string {
  const map = parseCapabilities(caps);
  if (value === null || value === undefined) map.delete(name);
  else map.set(name, pythonStr(value));
  return formatCapabilities(map);
}
