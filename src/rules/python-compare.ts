// Python semantics for the comparison conditions: numeric coercion of the field when the rule's
// value is numeric (ironic-inspector's `coerce`), `==` deep equality and ordering with TypeError.

/**
 * Thrown for a comparison Python would reject (e.g. int('abc'), 'a' < 1); caught by the engine,
 * which keeps only the message. Built without a stack trace: it is routine on the callback path
 * (e.g. in-net over interfaces without an address) and capturing the stack was most of its cost.
 */
export class ConditionCheckError extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

const INT_RE = /^\s*[+-]?\d+(?:_\d+)*\s*$/;
const FLOAT_RE = /^\s*[+-]?(?:(?:\d+(?:_\d+)*)?\.?\d+(?:_\d+)*(?:[eE][+-]?\d+)?|\d+\.|inf|infinity|nan)\s*$/i;

function toInt(field: unknown): number {
  if (typeof field === 'boolean') return field ? 1 : 0;
  if (typeof field === 'number') {
    if (!Number.isFinite(field)) throw new ConditionCheckError(`cannot convert ${field} to integer`);
    return Math.trunc(field);
  }
  if (typeof field === 'string' && INT_RE.test(field)) return Number(field.replace(/_/g, '').trim());
  throw new ConditionCheckError(`invalid literal for int(): ${JSON.stringify(field)}`);
}

function toFloat(field: unknown): number {
  if (typeof field === 'boolean') return field ? 1 : 0;
  if (typeof field === 'number') return field;
  if (typeof field === 'string' && FLOAT_RE.test(field)) {
    const t = field.replace(/_/g, '').trim().toLowerCase();
    if (t.endsWith('nan')) return NaN;
    if (t.endsWith('inf') || t.endsWith('infinity')) return t.startsWith('-') ? -Infinity : Infinity;
    return Number(t);
  }
  throw new ConditionCheckError(`could not convert ${JSON.stringify(field)} to float`);
}

/** ironic-inspector `coerce(field, value)`: int(field) for an integral value, float(field) for a real. */
export function coerceField(field: unknown, expected: unknown): unknown {
  // JSON cannot tell 4 from 4.0; an integral number is treated as Python int.
  if (typeof expected === 'number') return Number.isInteger(expected) ? toInt(field) : toFloat(field);
  return field;
}

function isNumeric(v: unknown): v is number | boolean {
  return typeof v === 'number' || typeof v === 'boolean';
}

/** Python `a == b` for JSON values (1 == 1.0 == True; '1' != 1; deep for lists and dicts). */
export function pythonEquals(a: unknown, b: unknown): boolean {
  if (isNumeric(a) && isNumeric(b)) return Number(a) === Number(b);
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => pythonEquals(item, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every(
      (k) =>
        Object.prototype.hasOwnProperty.call(b, k) &&
        pythonEquals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    );
  }
  return false;
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

/** Python ordering: -1/0/1, or ConditionCheckError where Python raises TypeError. */
export function pythonCompare(a: unknown, b: unknown): number {
  if (isNumeric(a) && isNumeric(b)) {
    const x = Number(a);
    const y = Number(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
      if (!pythonEquals(a[i], b[i])) return pythonCompare(a[i], b[i]);
    }
    return a.length - b.length < 0 ? -1 : a.length > b.length ? 1 : 0;
  }
  throw new ConditionCheckError(
    `'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`,
  );
}
