// The shape the regex ops `contains` and `matches` share: `value` is a Python-style pattern
// tested against str(field); they differ only in whether the pattern must match the whole text.
import type { ConditionPlugin } from '../plugin.js';
import { pythonStr } from '../python-format.js';
import { compilePythonRegex } from '../python-regex.js';
import { ConditionCheckError } from '../python-compare.js';

export function regexCondition(op: string, anchored: boolean): ConditionPlugin {
  return {
    op,
    required: ['value'],
    optional: [],
    allowMissing: false,
    validate(params) {
      const value = params['value'];
      if (typeof value !== 'string')
        return { param: 'value', message: 'invalid regular expression: must be a string' };
      const re = compilePythonRegex(value, anchored);
      return re.ok ? null : { param: 'value', message: re.error };
    },
    check(field, params) {
      const re = compilePythonRegex(String(params['value']), anchored);
      if (!re.ok) throw new ConditionCheckError(re.error);
      return re.regex.test(pythonStr(field));
    },
  };
}
