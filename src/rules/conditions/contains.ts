// Condition `contains`: the regex `value` is found anywhere in str(field) (Python re.search).
import { regexCondition } from './regex.js';

export const containsCondition = regexCondition('contains', false);
