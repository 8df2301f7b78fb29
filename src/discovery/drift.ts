// Hardware drift (pure): what changed between a node's previous and new processed introspection
// data — memory and DIMMs, disks, NICs, CPU, firmware/BIOS, system identity — one entry per fact.

export interface DriftChange {
  /** memory | dimm | disk | nic | cpu | firmware | system | bmc */
  area: string;
  change: 'added' | 'removed' | 'changed';
  /** What changed within the area, e.g. the disk serial or `physical_mb`. */
  key: string;
  before?: unknown;
  after?: unknown;
  /** One line for a human, e.g. `disk /dev/sdb (S3) added, 960 GiB`. */
  message: string;
}

function rec(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(rec) : [];
}

const GIB = 1024 ** 3;

function gib(bytes: unknown): string {
  const n = Number(bytes);
  return Number.isFinite(n) ? `${Math.round((n / GIB) * 10) / 10} GiB` : String(bytes);
}

function text(v: unknown): string {
  return v === undefined || v === null ? 'none' : typeof v === 'string' ? v : JSON.stringify(v);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function scalar(
  out: DriftChange[],
  area: string,
  key: string,
  label: string,
  before: unknown,
  after: unknown,
): void {
  if (before === undefined && after === undefined) return;
  if (same(before, after)) return;
  out.push({
    area,
    change: before === undefined ? 'added' : after === undefined ? 'removed' : 'changed',
    key,
    before,
    after,
    message: `${label} ${text(before)} → ${text(after)}`,
  });
}

/** Diff keyed collections: added/removed items, and `fields` changed on items in both. */
function keyed(
  out: DriftChange[],
  area: string,
  before: Record<string, unknown>[],
  after: Record<string, unknown>[],
  keyOf: (item: Record<string, unknown>) => string | null,
  describe: (item: Record<string, unknown>, key: string) => string,
  fields: ReadonlyArray<[string, (v: unknown) => string]>,
): void {
  const index = (items: Record<string, unknown>[]): Map<string, Record<string, unknown>> => {
    const map = new Map<string, Record<string, unknown>>();
    for (const item of items) {
      const key = keyOf(item);
      if (key !== null && !map.has(key)) map.set(key, item);
    }
    return map;
  };
  const a = index(before);
  const b = index(after);
  for (const [key, item] of b) {
    const old = a.get(key);
    if (!old) {
      out.push({ area, change: 'added', key, after: item, message: `${describe(item, key)} added` });
      continue;
    }
    for (const [field, show] of fields) {
      if (!same(old[field], item[field])) {
        out.push({
          area,
          change: 'changed',
          key: `${key}.${field}`,
          before: old[field],
          after: item[field],
          message: `${describe(item, key)} ${field} ${show(old[field])} → ${show(item[field])}`,
        });
      }
    }
  }
  for (const [key, item] of a) {
    if (!b.has(key))
      out.push({ area, change: 'removed', key, before: item, message: `${describe(item, key)} removed` });
  }
}

/** DIMMs from the hardware collector's extra data (`extra.memory.bankN.size`), when present. */
function dimms(data: Record<string, unknown>): Record<string, unknown>[] {
  const memory = rec(rec(data.extra).memory);
  return Object.entries(memory)
    .filter(([name]) => /^bank/i.test(name))
    .map(([name, value]) => ({ ...rec(value), bank: name }));
}

export function inventoryDrift(previous: unknown, current: unknown): DriftChange[] {
  const prev = rec(previous);
  const next = rec(current);
  const a = rec(prev.inventory);
  const b = rec(next.inventory);
  const out: DriftChange[] = [];

  const memA = rec(a.memory);
  const memB = rec(b.memory);
  scalar(out, 'memory', 'physical_mb', 'memory (MiB)', memA.physical_mb, memB.physical_mb);
  keyed(
    out,
    'dimm',
    dimms(prev),
    dimms(next),
    (d) => String(d.bank),
    (d) => `DIMM ${String(d.bank)}`,
    [
      ['size', (v) => text(v)],
      ['serial', (v) => text(v)],
    ],
  );

  const diskKey = (d: Record<string, unknown>): string | null =>
    [d.serial, d.wwn, d.name].find((v): v is string => typeof v === 'string' && v !== '') ?? null;
  keyed(
    out,
    'disk',
    list(a.disks),
    list(b.disks),
    diskKey,
    (d) =>
      `disk ${text(d.name)}${typeof d.serial === 'string' && d.serial ? ` (${d.serial})` : ''}, ${gib(d.size)}`,
    [
      ['size', gib],
      ['model', text],
      ['name', text],
    ],
  );

  const mac = (i: Record<string, unknown>): string | null =>
    typeof i.mac_address === 'string' && i.mac_address !== '' ? i.mac_address.toLowerCase() : null;
  keyed(out, 'nic', list(a.interfaces), list(b.interfaces), mac, (i, key) => `NIC ${text(i.name)} (${key})`, [
    ['name', text],
    ['speed_mbps', text],
    ['driver', text],
  ]);

  const cpuA = rec(a.cpu);
  const cpuB = rec(b.cpu);
  scalar(out, 'cpu', 'count', 'CPU count', cpuA.count, cpuB.count);
  scalar(out, 'cpu', 'model_name', 'CPU model', cpuA.model_name, cpuB.model_name);
  scalar(out, 'cpu', 'architecture', 'CPU architecture', cpuA.architecture, cpuB.architecture);

  const sysA = rec(a.system_vendor);
  const sysB = rec(b.system_vendor);
  const fwA = rec(sysA.firmware);
  const fwB = rec(sysB.firmware);
  scalar(out, 'firmware', 'vendor', 'firmware vendor', fwA.vendor, fwB.vendor);
  scalar(out, 'firmware', 'version', 'firmware/BIOS version', fwA.version, fwB.version);
  scalar(out, 'firmware', 'build_date', 'firmware build date', fwA.build_date, fwB.build_date);
  scalar(out, 'system', 'serial_number', 'system serial', sysA.serial_number, sysB.serial_number);
  scalar(out, 'system', 'product_name', 'system product', sysA.product_name, sysB.product_name);
  scalar(out, 'system', 'manufacturer', 'system manufacturer', sysA.manufacturer, sysB.manufacturer);
  scalar(out, 'bmc', 'bmc_address', 'BMC address', a.bmc_address, b.bmc_address);
  scalar(out, 'bmc', 'bmc_mac', 'BMC MAC', a.bmc_mac, b.bmc_mac);
  return out;
}

/** The one-line summary of a drift event. */
export function driftMessage(changes: readonly DriftChange[]): string {
  const shown = changes.slice(0, 5).map((c) => c.message);
  const more = changes.length > 5 ? `; … ${changes.length - 5} more` : '';
  return `hardware changed since the previous introspection (${changes.length} change(s)): ${shown.join('; ')}${more}`;
}
