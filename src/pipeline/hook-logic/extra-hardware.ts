// extra_hardware hook logic: the eDeploy/hardware-detect `data` list of [a, b, c, d] records
// becomes `extra[a][b][c] = d` (d converted to an integer when it is one) for rules to read.

export interface ExtraHardwareOptions {
  /** [extra_hardware] strict: refuse the whole list when any record is not [a, b, c, d]. */
  strict: boolean;
}

export interface ExtraHardwareResult {
  /** The converted tree; undefined when `data` is absent, not eDeploy-shaped, or refused (strict). */
  extra?: Record<string, Record<string, Record<string, unknown>>>;
  /** Whether the hook should delete `data` from the introspection data (it did when converted). */
  removeData: boolean;
  warnings: string[];
}

// Python int(): optional sign, digits (underscores allowed between digits), surrounding spaces.
const INT_RE = /^\s*[+-]?\d+(?:_\d+)*\s*$/;

function toIntIfPossible(value: unknown): unknown {
  if (typeof value === 'string' && INT_RE.test(value)) {
    const n = Number(value.replace(/_/g, '').trim());
    if (Number.isSafeInteger(n)) return n;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  return value;
}

function keyOf(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function extraHardware(data: unknown, opts: ExtraHardwareOptions): ExtraHardwareResult {
  if (data === undefined || data === null) {
    return { removeData: false, warnings: ['No extra hardware information was received from the ramdisk'] };
  }
  if (!Array.isArray(data)) {
    return {
      removeData: true,
      warnings: ['Extra hardware data is not a list (eDeploy format); not converted'],
    };
  }
  const warnings: string[] = [];
  const bad = data.findIndex((item) => !Array.isArray(item) || item.length !== 4);
  if (bad >= 0 && opts.strict) {
    return {
      removeData: true,
      warnings: [
        `Extra hardware record #${bad} is not a list of 4 items; strict mode refuses the whole list`,
      ],
    };
  }
  const extra: Record<string, Record<string, Record<string, unknown>>> = {};
  data.forEach((item: unknown, i) => {
    if (!Array.isArray(item) || item.length !== 4) {
      warnings.push(`Extra hardware record #${i} is not a list of 4 items; skipped`);
      return;
    }
    const [a, b, c, d] = item as [unknown, unknown, unknown, unknown];
    const level1 = (extra[keyOf(a)] ??= {});
    const level2 = (level1[keyOf(b)] ??= {});
    level2[keyOf(c)] = toIntIfPossible(d);
  });
  return { extra, removeData: true, warnings };
}
