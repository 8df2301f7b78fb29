// Action `add-trait`: add `name` to the node's traits (no duplicate).
import type { ActionPlugin } from '../plugin.js';
import { validateTraitName } from './trait-name.js';

export const addTraitAction: ActionPlugin = {
  action: 'add-trait',
  required: ['name'],
  optional: [],
  formatted: [],
  validate: validateTraitName,
  apply(node, params) {
    const name = String(params['name']);
    if (node.traits.includes(name)) return { ok: true, note: 'trait already present' };
    node.traits = [...node.traits, name];
    return { ok: true };
  },
};
