// Condition `matches`: the regex `value` matches the WHOLE of str(field) (ironic-inspector
// appends `$` to a re.match; we anchor both ends so `a|b` cannot match a prefix only).
import { regexCondition } from './regex.js';

export const matchesCondition = regexCondition('matches', true);
