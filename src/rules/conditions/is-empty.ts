// Condition `is-empty`: the field is '', null, [] or {}; a path that finds nothing counts as
// empty (ironic-inspector's ALLOW_NONE: the engine then checks null).
import type { ConditionPlugin } from '../plugin.js';

export const isEmptyCondition: ConditionPlugin = {
  op: 'is-empty',
  required: [],
  optional: [],
  allowMissing: true,
  check(field) {
    if (field === '' || field === null || field === undefined) return true;
    if (Array.isArray(field)) return field.length === 0;
    if (typeof field === 'object') return Object.keys(field).length === 0;
    return false;
  },
};
