// Action `set-capability`: merge `name:value` into the node's `properties.capabilities`
// string; a missing or null value removes the capability (ironic's dict_to_capabilities).
import type { ActionPlugin } from '../plugin.js';
import { updateCapability } from '../capabilities.js';

export const setCapabilityAction: ActionPlugin = {
  action: 'set-capability',
  required: ['name'],
  optional: ['value'],
  formatted: ['value'],
  validate(params) {
    const name = params['name'];
    if (typeof name !== 'string' || name === '' || /[:,]/.test(name)) {
      return { param: 'name', message: 'name must be a non-empty string without ":" or ","' };
    }
    return null;
  },
  apply(node, params) {
    const caps = updateCapability(node.properties['capabilities'], String(params['name']), params['value']);
    node.properties = { ...node.properties, capabilities: caps };
    return { ok: true };
  },
};
