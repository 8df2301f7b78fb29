// Condition `eq`: field equals value (ironic-inspector SimpleCondition: the field is coerced to
// int/float when `value` is numeric, then compared with Python semantics).
import type { ConditionPlugin } from '../plugin.js';
import { coerceField, pythonEquals } from '../python-compare.js';

export const eqCondition: ConditionPlugin = {
  op: 'eq',
  required: ['value'],
  optional: [],
  allowMissing: false,
  check(field, params) {
    const value = params['value'];
    return pythonEquals(coerceField(field, value), value);
  },
};
