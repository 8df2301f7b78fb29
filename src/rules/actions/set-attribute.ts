// Action `set-attribute`: JSON-patch `add` of the (formatted) `value` at `path` on the node.
// `value` must be present but may be null; `reset_interfaces` is accepted for compatibility
// (Ironic resets hardware interfaces when `driver` changes; our records have none to reset).
import type { ActionPlugin } from '../plugin.js';
import { addAtPath, parseNodePath } from '../node-patch.js';

export const setAttributeAction: ActionPlugin = {
  action: 'set-attribute',
  required: ['path'],
  optional: ['reset_interfaces'],
  presentNullable: ['value'],
  formatted: ['value'],
  validate(params) {
    const p = parseNodePath(params['path']);
    if (!p.ok) return { param: 'path', message: p.error };
    const reset = params['reset_interfaces'];
    if (reset !== undefined && reset !== null && typeof reset !== 'boolean') {
      return { param: 'reset_interfaces', message: 'reset_interfaces must be a boolean' };
    }
    return null;
  },
  apply(node, params) {
    const p = parseNodePath(params['path']);
    if (!p.ok) return { ok: false, error: p.error };
    const error = addAtPath(node, p.segments, params['value']);
    return error ? { ok: false, error } : { ok: true };
  },
};
