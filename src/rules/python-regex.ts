// Rule regexes are written for Python's `re`; translate the common Python-only syntax to a JS
// RegExp: named groups `(?P<n>…)`, back-references `(?P=n)`, `\A`/`\Z`, leading inline flags.

import { boundedMemo } from './memo.js';

export type RegexResult = { ok: true; regex: RegExp } | { ok: false; error: string };

/** Compiled once per distinct pattern: every callback evaluates every rule's conditions. */
const compileMemo = boundedMemo((key) => compileUncached(key.slice(1), key.startsWith('^')));

/** Compile a Python-style pattern; `anchored` wraps it for a full match (the `matches` op). */
export function compilePythonRegex(pattern: string, anchored = false): RegexResult {
  return compileMemo(`${anchored ? '^' : '-'}${pattern}`);
}

function compileUncached(pattern: string, anchored: boolean): RegexResult {
  let src = pattern;
  let flags = '';
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    const letters = inline[1] ?? '';
    if (letters.includes('x'))
      return { ok: false, error: 'invalid regular expression: verbose flag (?x) is not supported' };
    for (const f of letters) if ('ims'.includes(f) && !flags.includes(f)) flags += f;
    src = src.slice(inline[0].length);
  }
  src = src
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>')
    .replace(/(^|[^\\])((?:\\\\)*)\\A/g, '$1$2^')
    .replace(/(^|[^\\])((?:\\\\)*)\\Z/g, '$1$2$');
  if (anchored) src = `^(?:${src})$`;
  try {
    return { ok: true, regex: new RegExp(src, flags) };
  } catch (e) {
    return { ok: false, error: `invalid regular expression: ${(e as Error).message}` };
  }
}
