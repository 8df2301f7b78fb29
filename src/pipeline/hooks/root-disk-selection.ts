// root_disk_selection: applies the node's root_device hints (and skip_block_devices) to the
// inventory disks → data.root_disk and local_gb (minus 1 GiB for partitioning) (reference §5).
import { parseStrictBool } from '../../core/strict-bool.js';
import { HookError, asArray, asRecord, updateProperties, type ProcessingHook } from '../hook.js';

const GIB = 1024 ** 3;
const HINT_KEYS = [
  'size',
  'model',
  'wwn',
  'serial',
  'vendor',
  'wwn_with_extension',
  'wwn_vendor_extension',
  'name',
  'rotational',
  'hctl',
  'by_path',
];

/** ironic-lib's comparison operators (`==`, `!=`, `>=`, `<=`, `>`, `<`) on numbers or on text. */
function compare<T extends number | string>(op: string, actual: T, expected: T): boolean {
  switch (op) {
    case '==':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '>=':
      return actual >= expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    default:
      return actual < expected;
  }
}

/** One hint value against one disk value, with ironic-lib's operators (`s==`, `<in>`, `<or>`, `>=` …). */
export function matchesHint(key: string, hint: unknown, actual: unknown): boolean {
  if (actual === undefined || actual === null) return false;
  if (key === 'rotational') {
    const want = typeof hint === 'string' ? parseStrictBool(hint) === true : Boolean(hint);
    return Boolean(actual) === want;
  }
  if (key === 'size') {
    const gib = Math.floor(Number(actual) / GIB);
    if (typeof hint === 'number') return gib === hint;
    const text = String(hint).trim();
    const m = /^(==|!=|>=|<=|>|<)\s*(\d+)$/.exec(text);
    if (m) return compare(m[1] as string, gib, Number(m[2]));
    return /^\d+$/.test(text) && gib === Number(text);
  }
  let actualText = String(actual);
  if (key === 'name' && !actualText.startsWith('/dev/')) actualText = `/dev/${actualText}`;
  const text = String(hint).trim();
  if (text.startsWith('<or>')) {
    return text
      .split('<or>')
      .map((s) => s.trim())
      .filter(Boolean)
      .some((alt) => matchesHint(key, alt, actual));
  }
  const op = /^(s==|s!=|<in>|s>=|s<=|s>|s<)\s*(.*)$/.exec(text);
  const norm = (s: string): string => s.trim().toLowerCase();
  if (op) {
    const [, operator = '', value = ''] = op;
    // `s==` … `s<` are the size operators applied to the text.
    return operator === '<in>' ? actualText.includes(value) : compare(operator.slice(1), actualText, value);
  }
  let expected = text;
  if (key === 'name' && !expected.startsWith('/dev/')) expected = `/dev/${expected}`;
  return norm(actualText) === norm(expected);
}

export function diskMatches(hints: Record<string, unknown>, disk: Record<string, unknown>): boolean {
  return Object.entries(hints).every(([key, hint]) => matchesHint(key, hint, disk[key]));
}

/** IPA's default choice: the smallest disk of at least 4 GiB. */
function smallestUsableDisk(disks: Record<string, unknown>[]): Record<string, unknown> | null {
  return (
    disks.filter((d) => Number(d.size) >= 4 * GIB).sort((a, b) => Number(a.size) - Number(b.size))[0] ?? null
  );
}

export const rootDiskSelectionHook: ProcessingHook = {
  name: 'root_disk_selection',
  async beforeUpdate(data, context) {
    const inventory = asRecord(data.inventory);
    const hintsRaw = context.node.properties.root_device;
    const skipList = asArray(context.node.properties.skip_block_devices).map(asRecord);
    let disks = asArray(inventory.disks).map(asRecord);
    if (skipList.length > 0)
      disks = disks.filter((disk) => !skipList.some((skip) => diskMatches(skip, disk)));
    let root: Record<string, unknown> | null = null;
    if (hintsRaw !== undefined && hintsRaw !== null) {
      const hints = asRecord(hintsRaw);
      const unknown = Object.keys(hints).filter((k) => !HINT_KEYS.includes(k));
      if (unknown.length > 0)
        throw new HookError(`Root device hints contain unsupported keys: ${unknown.join(', ')}`);
      if (disks.length === 0)
        throw new HookError('No disks satisfied root device hints: the node reported no disks');
      root = disks.find((disk) => diskMatches(hints, disk)) ?? null;
      if (!root) throw new HookError(`No disks satisfied root device hints ${JSON.stringify(hints)}`);
      data.root_disk = root;
    } else if (data.root_disk && typeof data.root_disk === 'object') {
      root = asRecord(data.root_disk);
      if (skipList.length > 0 && skipList.some((skip) => diskMatches(skip, root!))) {
        // The ramdisk's choice is excluded: take IPA's choice among the remaining disks.
        root = smallestUsableDisk(disks);
        if (root) data.root_disk = root;
      }
    } else if (disks.length > 0) {
      root = smallestUsableDisk(disks);
      if (root) data.root_disk = root;
    }
    if (data.legacy_format && root === null && data.local_gb !== undefined) return; // computed by the ramdisk
    let localGb = 0;
    if (root) {
      localGb = Math.floor(Number(root.size) / GIB);
      if (context.settings.diskPartitioningSpacing && localGb > 0) localGb -= 1;
    }
    data.local_gb = localGb;
    await updateProperties(context, { local_gb: String(localGb) });
  },
};
