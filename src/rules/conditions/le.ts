// Condition `le`: field is less than or equal to value (ironic-inspector SimpleCondition: the field is coerced to
// int/float when `value` is numeric, then compared with Python semantics).
import type { ConditionPlugin } from '../plugin.js';
import { coerceField, pythonCompare } from '../python-compare.js';

export const leCondition: ConditionPlugin = {
  op: 'le',
  required: ['value'],
  optional: [],
  allowMissing: false,
  check(field, params) {
    const value = params['value'];
    return pythonCompare(coerceField(field, value), value) <= 0;
  },
};
