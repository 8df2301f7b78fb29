// HTTP Range header parsing for boot-file downloads (RFC 9110 §14): one byte range or none.
// Pure; an invalid header is ignored (full 200), an unsatisfiable one is a 416.

export type RangeDecision =
  { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * RFC 9110 §14.1.2 byte ranges: `bytes=a-b`, `bytes=a-`, `bytes=-n`. Several ranges are allowed
 * to be answered with the whole representation (§14.2), which is what loaders expect anyway.
 * Syntax errors make the header ignored (§14.2: "a server MAY ignore the Range header field").
 */
export function parseRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: 'full' };
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    // Suffix range: the last n bytes (§14.1.3); n = 0 cannot be satisfied.
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { kind: 'full' }; // invalid per §14.1.1
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}
