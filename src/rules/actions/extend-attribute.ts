// Action `extend-attribute`: treat the node field at `path` as a list (created empty when
// missing) and append the (formatted) `value`; with `unique`, skip a value already present.
import type { ActionPlugin } from '../plugin.js';
import { addAtPath, getAtPath, parseNodePath } from '../node-patch.js';
import { pythonEquals } from '../python-compare.js';

export const extendAttributeAction: ActionPlugin = {
  action: 'extend-attribute',
  required: ['path', 'value'],
  optional: ['unique'],
  formatted: ['value'],
  validate(params) {
    const p = parseNodePath(params['path']);
    if (!p.ok) return { param: 'path', message: p.error };
    if (p.segments.length < 2)
      return { param: 'path', message: 'path must point inside a node field (e.g. /extra/tags)' };
    const unique = params['unique'];
    if (unique !== undefined && unique !== null && typeof unique !== 'boolean') {
      return { param: 'unique', message: 'unique must be a boolean' };
    }
    return null;
  },
  apply(node, params) {
    const p = parseNodePath(params['path']);
    if (!p.ok) return { ok: false, error: p.error };
    const current = getAtPath(node, p.segments) ?? [];
    if (!Array.isArray(current)) return { ok: false, error: `/${p.segments.join('/')} is not a list` };
    const value = params['value'];
    if (params['unique'] === true && current.some((v) => pythonEquals(v, value))) {
      return { ok: true, note: 'value already present' };
    }
    const error = addAtPath(node, p.segments, [...current, value]);
    return error ? { ok: false, error } : { ok: true };
  },
};
