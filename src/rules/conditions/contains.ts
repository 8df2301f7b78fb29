// Condition `contains`: the regex `value` is found anywhere in str(field) (Python re.search).
import type { ConditionPlugin } from '../plugin.js';
import { pythonStr } from '../python-format.js';
import { compilePythonRegex } from '../python-regex.js';
import { ConditionCheckError } from '../python-compare.js';

export const containsCondition: ConditionPlugin = {
  op: 'contains',
  required: ['value'],
  optional: [],
  allowMissing: false,
  validate(params) {
    const value = params['value'];
    if (typeof value !== 'string')
      return { param: 'value', message: 'invalid regular expression: must be a string' };
    const re = compilePythonRegex(value);
    return re.ok ? null : { param: 'value', message: re.error };
  },
  check(field, params) {
    const re = compilePythonRegex(String(params['value']));
    if (!re.ok) throw new ConditionCheckError(re.error);
    return re.regex.test(pythonStr(field));
  },
};
