// Condition `matches`: the regex `value` matches the WHOLE of str(field) (ironic-inspector
// appends `$` to a re.match; we anchor both ends so `a|b` cannot match a prefix only).
import type { ConditionPlugin } from '../plugin.js';
import { pythonStr } from '../python-format.js';
import { compilePythonRegex } from '../python-regex.js';
import { ConditionCheckError } from '../python-compare.js';

export const matchesCondition: ConditionPlugin = {
  op: 'matches',
  required: ['value'],
  optional: [],
  allowMissing: false,
  validate(params) {
    const value = params['value'];
    if (typeof value !== 'string')
      return { param: 'value', message: 'invalid regular expression: must be a string' };
    const re = compilePythonRegex(value, true);
    return re.ok ? null : { param: 'value', message: re.error };
  },
  check(field, params) {
    const re = compilePythonRegex(String(params['value']), true);
    if (!re.ok) throw new ConditionCheckError(re.error);
    return re.regex.test(pythonStr(field));
  },
};
