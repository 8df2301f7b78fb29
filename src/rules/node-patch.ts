// JSON Patch (RFC 6902 §4.1 `add`) on our node record, limited to the fields Ironic lets a
// client patch that our NodeRecord has. Used by set-attribute and extend-attribute.
import type { NodeRecord } from '../core/node.js';

/** Node fields an action may write (uuid, timestamps, provision_state and traits are not). */
export const PATCHABLE_ROOTS = [
  'name',
  'driver',
  'driver_info',
  'properties',
  'extra',
  'maintenance',
] as const;

export type PointerResult = { ok: true; segments: string[] } | { ok: false; error: string };

/** Parse a JSON pointer (RFC 6901) whose leading `/` is optional, as rule paths allow. */
export function parseNodePath(path: unknown): PointerResult {
  if (typeof path !== 'string' || path.trim() === '' || path.trim() === '/') {
    return { ok: false, error: 'path must be a non-empty string like /properties/foo' };
  }
  const trimmed = path.trim().replace(/^\/+/, '');
  const segments = trimmed.split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const root = segments[0] ?? '';
  if (!(PATCHABLE_ROOTS as readonly string[]).includes(root)) {
    return {
      ok: false,
      error: `cannot set /${root}: only ${PATCHABLE_ROOTS.map((r) => `/${r}`).join(', ')} may be changed`,
    };
  }
  return { ok: true, segments };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Value at the path, or undefined when any part is missing. */
export function getAtPath(node: NodeRecord, segments: readonly string[]): unknown {
  let cur: unknown = node;
  for (const seg of segments) {
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(seg)) return undefined;
      cur = cur[Number(seg)];
    } else if (isPlainObject(cur) && Object.prototype.hasOwnProperty.call(cur, seg)) {
      cur = cur[seg];
    } else {
      return undefined;
    }
  }
  return cur;
}

function checkRootType(root: string, value: unknown): string | null {
  switch (root) {
    case 'name':
      return value === null || typeof value === 'string' ? null : '/name must be a string or null';
    case 'driver':
      return typeof value === 'string' && value !== '' ? null : '/driver must be a non-empty string';
    case 'maintenance':
      return typeof value === 'boolean' ? null : '/maintenance must be a boolean';
    default:
      return isPlainObject(value) ? null : `/${root} must be an object`;
  }
}

/**
 * RFC 6902 `add`: the parent must exist; an object member is created or replaced; an array
 * index inserts (`-` appends). Mutates `node` only on success; returns an error text otherwise.
 */
export function addAtPath(node: NodeRecord, segments: readonly string[], value: unknown): string | null {
  const pointer = `/${segments.join('/')}`;
  const root = segments[0] ?? '';
  if (segments.length === 1) {
    const e = checkRootType(root, value);
    if (e) return e;
    (node as unknown as Record<string, unknown>)[root] = structuredClone(value);
    return null;
  }
  const parent = getAtPath(node, segments.slice(0, -1));
  const last = segments[segments.length - 1] ?? '';
  if (Array.isArray(parent)) {
    if (last === '-') {
      parent.push(structuredClone(value));
      return null;
    }
    if (!/^\d+$/.test(last) || Number(last) > parent.length)
      return `cannot add at ${pointer}: invalid array index`;
    parent.splice(Number(last), 0, structuredClone(value));
    return null;
  }
  if (!isPlainObject(parent))
    return `cannot add at ${pointer}: parent ${segments.slice(0, -1).join('/')} does not exist`;
  parent[last] = structuredClone(value);
  return null;
}
