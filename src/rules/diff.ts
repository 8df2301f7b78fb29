// The exact changes rule actions made to a node, for dry-run and apply reports: one entry per
// changed leaf of properties/extra/driver_info, per scalar field, and per trait added/removed.
import { SECRET_DRIVER_INFO_KEYS, type NodeRecord } from '../core/node.js';
import { pythonEquals } from './python-compare.js';

export interface NodeChange {
  /** JSON pointer of the changed value, e.g. `/properties/capabilities`, `/traits`. */
  path: string;
  op: 'add' | 'set' | 'remove';
  before?: unknown;
  after?: unknown;
}

const MASK = '******';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function escapeKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function change(path: string, before: unknown, after: unknown, secret: boolean): NodeChange {
  const show = (v: unknown): unknown => (secret ? MASK : v);
  if (before === undefined) return { path, op: 'add', after: show(after) };
  if (after === undefined) return { path, op: 'remove', before: show(before) };
  return { path, op: 'set', before: show(before), after: show(after) };
}

function diffValue(path: string, before: unknown, after: unknown, out: NodeChange[], secret: boolean): void {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of keys) diffValue(`${path}/${escapeKey(key)}`, before[key], after[key], out, secret);
    return;
  }
  if (before === undefined && after === undefined) return;
  if (before !== undefined && after !== undefined && sameJson(before, after)) return;
  out.push(change(path, before, after, secret));
}

function sameJson(a: unknown, b: unknown): boolean {
  // Type-exact (pythonEquals says 1 == true); only used after the object case above.
  return typeof a === typeof b && Array.isArray(a) === Array.isArray(b) && pythonEquals(a, b);
}

/** Changes from `before` to `after`; driver_info secrets are shown as `******`. */
export function diffNodes(before: NodeRecord, after: NodeRecord): NodeChange[] {
  const out: NodeChange[] = [];
  for (const key of ['name', 'driver', 'maintenance'] as const) {
    diffValue(`/${key}`, before[key], after[key], out, false);
  }
  const secrets = SECRET_DRIVER_INFO_KEYS as readonly string[];
  const infoKeys = new Set([...Object.keys(before.driver_info), ...Object.keys(after.driver_info)]);
  for (const key of infoKeys) {
    diffValue(
      `/driver_info/${escapeKey(key)}`,
      before.driver_info[key],
      after.driver_info[key],
      out,
      secrets.includes(key),
    );
  }
  diffValue('/properties', before.properties, after.properties, out, false);
  diffValue('/extra', before.extra, after.extra, out, false);
  for (const trait of after.traits)
    if (!before.traits.includes(trait)) out.push({ path: '/traits', op: 'add', after: trait });
  for (const trait of before.traits) {
    if (!after.traits.includes(trait)) out.push({ path: '/traits', op: 'remove', before: trait });
  }
  return out;
}
