// Action `remove-trait`: remove `name` from the node's traits; a missing trait is ignored.
import type { ActionPlugin } from '../plugin.js';
import { validateTraitName } from './trait-name.js';

export const removeTraitAction: ActionPlugin = {
  action: 'remove-trait',
  required: ['name'],
  optional: [],
  formatted: [],
  validate: validateTraitName,
  apply(node, params) {
    const name = String(params['name']);
    if (!node.traits.includes(name)) return { ok: true, note: 'trait not present' };
    node.traits = node.traits.filter((t) => t !== name);
    return { ok: true };
  },
};
