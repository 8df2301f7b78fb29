// A small JSONPath evaluator covering what ironic-inspector rule fields use (jsonpath-rw syntax):
// `$.a.b`, `a.b`, `a[0]`, `a[*].b`, `a.*`, `$..x`, `a[1:3]`, quoted keys `['k']` / `a.'k-1'`.
// Parsing returns a value (never throws) so rule validation can name the bad field.

export type PathSegment =
  | { kind: 'field'; name: string }
  | { kind: 'wildcard' }
  | { kind: 'index'; index: number }
  | { kind: 'slice'; start: number | null; end: number | null }
  | { kind: 'descend'; next: PathSegment };

export interface CompiledPath {
  readonly source: string;
  readonly segments: readonly PathSegment[];
}

export type PathParseResult = { ok: true; path: CompiledPath } | { ok: false; error: string };

// jsonpath-rw's ID token, widened to digits-first names (`extra.0`) which JSON keys allow.
const ID_RE = /^[A-Za-z0-9_@-]+/;

function readQuoted(src: string, pos: number): { value: string; end: number } | null {
  const quote = src[pos];
  let i = pos + 1;
  let out = '';
  while (i < src.length) {
    const ch = src[i];
    if (ch === '\\' && i + 1 < src.length) {
      out += src[i + 1];
      i += 2;
      continue;
    }
    if (ch === quote) return { value: out, end: i + 1 };
    out += ch;
    i += 1;
  }
  return null;
}

function parseBracket(src: string, pos: number): { seg: PathSegment; end: number } | string {
  // pos points just after '['
  let i = pos;
  while (src[i] === ' ') i += 1;
  const ch = src[i];
  let seg: PathSegment;
  if (ch === "'" || ch === '"') {
    const q = readQuoted(src, i);
    if (!q) return `unterminated quoted key at offset ${i}`;
    seg = { kind: 'field', name: q.value };
    i = q.end;
  } else if (ch === '*') {
    // `[*]` is a full slice in jsonpath-rw (so it also selects a non-list value itself).
    seg = { kind: 'slice', start: null, end: null };
    i += 1;
  } else {
    const m = /^(-?\d*)\s*(?::\s*(-?\d*))?/.exec(src.slice(i));
    const text = m?.[0] ?? '';
    if (!m || text.trim() === '') return `expected index, '*' or quoted key at offset ${i}`;
    if (text.includes(':')) {
      seg = {
        kind: 'slice',
        start: m[1] ? Number(m[1]) : null,
        end: m[2] ? Number(m[2]) : null,
      };
    } else {
      seg = { kind: 'index', index: Number(m[1]) };
    }
    i += text.length;
  }
  while (src[i] === ' ') i += 1;
  if (src[i] !== ']') return `expected ']' at offset ${i}`;
  return { seg, end: i + 1 };
}

/** Parse a JSONPath expression (without a `data://` / `node://` scheme). */
export function parseJsonPath(source: string): PathParseResult {
  const src = source.trim();
  if (src === '') return { ok: false, error: 'empty path' };
  const segments: PathSegment[] = [];
  let i = 0;
  if (src[0] === '$') i = 1;
  // A bare leading name (`a.b`) is allowed when there is no `$`.
  let expectName = i === 0;
  while (i < src.length) {
    const ch = src[i];
    let descend = false;
    if (!expectName) {
      if (ch === '[') {
        const r = parseBracket(src, i + 1);
        if (typeof r === 'string') return { ok: false, error: r };
        segments.push(r.seg);
        i = r.end;
        continue;
      }
      if (ch !== '.') return { ok: false, error: `unexpected '${ch}' at offset ${i}` };
      if (src[i + 1] === '.') {
        descend = true;
        i += 2;
      } else {
        i += 1;
      }
      if (descend && src[i] === '[') {
        const r = parseBracket(src, i + 1);
        if (typeof r === 'string') return { ok: false, error: r };
        segments.push({ kind: 'descend', next: r.seg });
        i = r.end;
        continue;
      }
    }
    expectName = false;
    let seg: PathSegment;
    const c = src[i];
    if (c === '*') {
      seg = { kind: 'wildcard' };
      i += 1;
    } else if (c === "'" || c === '"') {
      const q = readQuoted(src, i);
      if (!q) return { ok: false, error: `unterminated quoted key at offset ${i}` };
      seg = { kind: 'field', name: q.value };
      i = q.end;
    } else {
      const m = ID_RE.exec(src.slice(i));
      if (!m) return { ok: false, error: `expected a field name at offset ${i}` };
      seg = { kind: 'field', name: m[0] };
      i += m[0].length;
    }
    segments.push(descend ? { kind: 'descend', next: seg } : seg);
  }
  return { ok: true, path: { source, segments } };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function applySegment(seg: PathSegment, value: unknown, out: unknown[]): void {
  switch (seg.kind) {
    case 'field':
      if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, seg.name))
        out.push(value[seg.name]);
      return;
    case 'wildcard':
      if (Array.isArray(value)) out.push(...value);
      else if (isPlainObject(value)) out.push(...Object.values(value));
      return;
    case 'index':
      if (Array.isArray(value)) {
        const idx = seg.index < 0 ? value.length + seg.index : seg.index;
        if (idx >= 0 && idx < value.length) out.push(value[idx]);
      }
      return;
    case 'slice':
      // jsonpath-rw treats `[*]` / `[:]` on a non-list as the value itself.
      if (Array.isArray(value)) out.push(...value.slice(seg.start ?? undefined, seg.end ?? undefined));
      else if (seg.start === null && seg.end === null && value !== undefined) out.push(value);
      return;
    case 'descend':
      descend(seg.next, value, out);
      return;
  }
}

function descend(next: PathSegment, value: unknown, out: unknown[]): void {
  applySegment(next, value, out);
  if (Array.isArray(value)) for (const v of value) descend(next, v, out);
  else if (isPlainObject(value)) for (const v of Object.values(value)) descend(next, v, out);
}

/** Every value the path selects in `doc`, in document order; [] when nothing matches. */
export function queryJsonPath(path: CompiledPath, doc: unknown): unknown[] {
  let current: unknown[] = [doc];
  for (const seg of path.segments) {
    const next: unknown[] = [];
    for (const v of current) applySegment(seg, v, next);
    current = next;
    if (current.length === 0) break;
  }
  return current;
}
