// Python-compatible rendering used by rule actions: str()/repr() of JSON values and the
// str.format subset ironic-inspector applies to action values (`{data[inventory][bmc_address]}`).
// Formatting errors are returned values so a rule fails with a clear message instead of throwing.

/** Python `repr()` of a JSON value (dicts/lists print their items with repr). */
export function pythonRepr(value: unknown): string {
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    let out = '';
    for (const ch of value) {
      if (ch === '\\') out += '\\\\';
      else if (ch === quote) out += `\\${ch}`;
      else if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else out += ch;
    }
    return quote + out + quote;
  }
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
      .join(', ')}}`;
  }
  return pythonStr(value);
}

/** Python `str()` of a JSON value: None/True/False, numbers as written, containers via repr. */
export function pythonStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    return String(value);
  }
  if (typeof value === 'object') return pythonRepr(value);
  return String(value);
}

type Piece =
  | { kind: 'text'; text: string }
  | { kind: 'field'; name: string; keys: string[]; conversion: 's' | 'r' | null; raw: string };

export type TemplateParse = { ok: true; pieces: Piece[] } | { ok: false; error: string };

/** Parse a str.format template: `{{`/`}}` escapes, `{name[key][0]!r}` fields (no format specs). */
export function parseTemplate(template: string): TemplateParse {
  const pieces: Piece[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i];
    if (ch === '}') {
      if (template[i + 1] === '}') {
        text += '}';
        i += 2;
        continue;
      }
      return { ok: false, error: "Single '}' encountered in format string" };
    }
    if (ch !== '{') {
      text += ch;
      i += 1;
      continue;
    }
    if (template[i + 1] === '{') {
      text += '{';
      i += 2;
      continue;
    }
    const close = template.indexOf('}', i + 1);
    if (close < 0) return { ok: false, error: "Single '{' encountered in format string" };
    const raw = template.slice(i + 1, close);
    if (raw.includes('{'))
      return { ok: false, error: `nested replacement fields are not supported: {${raw}}` };
    const m = /^([^[\].!:]*)((?:\[[^\]]*\])*)(?:!([sra]))?(?::(.*))?$/s.exec(raw);
    if (!m) return { ok: false, error: `invalid replacement field {${raw}}` };
    if (m[4] !== undefined && m[4] !== '') {
      return { ok: false, error: `format specifications are not supported: {${raw}}` };
    }
    const keys = [...(m[2] ?? '').matchAll(/\[([^\]]*)\]/g)].map((k) => k[1] ?? '');
    if (keys.some((k) => k === '')) return { ok: false, error: `empty index in replacement field {${raw}}` };
    if (text) pieces.push({ kind: 'text', text });
    text = '';
    const conv = m[3] === 'r' || m[3] === 'a' ? 'r' : m[3] === 's' ? 's' : null;
    pieces.push({ kind: 'field', name: m[1] ?? '', keys, conversion: conv, raw });
    i = close + 1;
  }
  if (text) pieces.push({ kind: 'text', text });
  return { ok: true, pieces };
}

export type FormatResult = { ok: true; value: unknown } | { ok: false; error: string };

function lookup(piece: Extract<Piece, { kind: 'field' }>, vars: Record<string, unknown>): FormatResult {
  if (!Object.prototype.hasOwnProperty.call(vars, piece.name)) {
    return { ok: false, error: `Invalid formatting variable key provided: ${pythonRepr(piece.name)}` };
  }
  let cur: unknown = vars[piece.name];
  for (const key of piece.keys) {
    // Python's format turns an all-digit index into an int: it indexes lists, and misses dicts.
    const isInt = /^\d+$/.test(key);
    if (Array.isArray(cur)) {
      const idx = Number(key);
      if (!isInt)
        return {
          ok: false,
          error: `list indices must be integers, not ${pythonRepr(key)} in {${piece.raw}}`,
        };
      if (idx >= cur.length) return { ok: false, error: `list index out of range: ${key} in {${piece.raw}}` };
      cur = cur[idx];
    } else if (
      typeof cur === 'object' &&
      cur !== null &&
      !isInt &&
      Object.prototype.hasOwnProperty.call(cur, key)
    ) {
      cur = (cur as Record<string, unknown>)[key];
    } else {
      return {
        ok: false,
        error: `Invalid formatting variable key provided: ${isInt ? key : pythonRepr(key)} (in {${piece.raw}})`,
      };
    }
  }
  return { ok: true, value: cur };
}

/** Format one template string against `vars` (ironic passes only `data`). Always a string. */
export function formatTemplate(template: string, vars: Record<string, unknown>): FormatResult {
  const parsed = parseTemplate(template);
  if (!parsed.ok) return parsed;
  let out = '';
  for (const piece of parsed.pieces) {
    if (piece.kind === 'text') {
      out += piece.text;
      continue;
    }
    const found = lookup(piece, vars);
    if (!found.ok) return found;
    out += piece.conversion === 'r' ? pythonRepr(found.value) : pythonStr(found.value);
  }
  return { ok: true, value: out };
}

/**
 * Format an action value: strings are templates; since API 1.14 dicts (keys too) and lists are
 * formatted recursively; other scalars pass through unchanged (as in ironic-inspector).
 */
export function formatValue(value: unknown, vars: Record<string, unknown>): FormatResult {
  if (typeof value === 'string') return formatTemplate(value, vars);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const r = formatValue(item, vars);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return { ok: true, value: out };
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = formatTemplate(k, vars);
      if (!key.ok) return key;
      const r = formatValue(v, vars);
      if (!r.ok) return r;
      out[key.value as string] = r.value;
    }
    return { ok: true, value: out };
  }
  return { ok: true, value };
}

/** Syntax-check every template inside a value (used at rule validation; keys are runtime). */
export function checkTemplates(value: unknown): string | null {
  if (typeof value === 'string') {
    const p = parseTemplate(value);
    return p.ok ? null : p.error;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      const e = checkTemplates(item);
      if (e) return e;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const e = checkTemplates(k) ?? checkTemplates(v);
      if (e) return e;
    }
  }
  return null;
}
