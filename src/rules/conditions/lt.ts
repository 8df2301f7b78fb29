// Condition `lt`: field is less than value (ironic-inspector SimpleCondition: the field is coerced to
// int/float when `value` is numeric, then compared with Python semantics).
import type { ConditionPlugin } from '../plugin.js';
import { coerceField, pythonCompare } from '../python-compare.js';

export const ltCondition: ConditionPlugin = {
  op: 'lt',
  required: ['value'],
  optional: [],
  allowMissing: false,
  check(field, params) {
    const value = params['value'];
    return pythonCompare(coerceField(field, value), value) < 0;
  },
};
