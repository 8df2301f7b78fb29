// Load-time checks of the state document: schema-version migrations (a table keyed by the version
// they upgrade from) and a cheap structural validation, so a damaged file is caught at start.
import { CURRENT_SCHEMA_VERSION, type StateDocument } from '../core/introspection-record.js';
import { AppError } from '../core/errors.js';

/** Upgrades a document from version `n` (the table key) to `n + 1`; must not mutate shared state. */
export type Migration = (doc: Record<string, unknown>) => Record<string, unknown>;

export type MigrationTable = Readonly<Record<number, Migration>>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The migrations of the real state document. Version 0 is the pre-release shape without
 * `meta` (collections may be missing): fill the collections in and stamp `meta`.
 */
export const stateMigrations: MigrationTable = {
  0: (doc) => {
    const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
    const meta = isObject(doc.meta) ? doc.meta : {};
    const settings = isObject(doc.settings) ? doc.settings : {};
    return {
      ...doc,
      meta: {
        ...meta,
        schemaVersion: 1,
        createdAt: typeof meta.createdAt === 'string' ? meta.createdAt : new Date(0).toISOString(),
      },
      nodes: asArray(doc.nodes),
      ports: asArray(doc.ports),
      introspections: asArray(doc.introspections),
      rules: asArray(doc.rules),
      leases: asArray(doc.leases),
      settings: { discovery: false, ...settings },
      review: asArray(doc.review),
    };
  },
};

/** `meta.schemaVersion`, or 0 for a document from before versioning (no `meta`). */
export function schemaVersionOf(doc: Record<string, unknown>): number {
  if (!isObject(doc.meta) || doc.meta.schemaVersion === undefined) return 0;
  const version = doc.meta.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    throw new Error(`meta.schemaVersion is not a non-negative integer: ${JSON.stringify(version)}`);
  }
  return version;
}

export interface MigrationResult {
  doc: Record<string, unknown>;
  fromVersion: number;
}

/**
 * Run the migrations from the document's version up to `currentVersion`. A newer document is
 * refused (ERR_STORE_VERSION): loading it would drop fields this version does not know.
 */
export function migrateDocument(
  raw: unknown,
  migrations: MigrationTable = stateMigrations,
  currentVersion: number = CURRENT_SCHEMA_VERSION,
): MigrationResult {
  if (!isObject(raw)) throw new Error('the document is not a JSON object');
  const fromVersion = schemaVersionOf(raw);
  if (fromVersion > currentVersion) {
    throw new AppError(
      'ERR_STORE_VERSION',
      `State file has schemaVersion ${fromVersion} but this inspectord supports up to ${currentVersion}; ` +
        `refusing to load it (upgrade inspectord or restore a file written by this version).`,
      { schemaVersion: fromVersion, supported: currentVersion },
    );
  }
  let doc = raw;
  for (let version = fromVersion; version < currentVersion; version += 1) {
    const migrate = migrations[version];
    if (!migrate) throw new Error(`no migration from schemaVersion ${version}`);
    doc = migrate(doc);
    const meta = isObject(doc.meta) ? doc.meta : {};
    doc = { ...doc, meta: { ...meta, schemaVersion: version + 1 } };
  }
  return { doc, fromVersion };
}

function checkRecords(
  problems: string[],
  doc: Record<string, unknown>,
  key: string,
  stringFields: readonly string[],
): void {
  const list = doc[key];
  if (!Array.isArray(list)) {
    problems.push(`${key} is not an array`);
    return;
  }
  for (let i = 0; i < list.length && problems.length < 10; i += 1) {
    const item: unknown = list[i];
    if (!isObject(item)) {
      problems.push(`${key}[${i}] is not an object`);
      continue;
    }
    for (const field of stringFields) {
      if (typeof item[field] !== 'string') problems.push(`${key}[${i}].${field} is not a string`);
    }
  }
}

/**
 * Structural check of a StateDocument: collections present with the right container types and
 * the identity fields each record is found by. O(records), no deep schema: cheap at 5,000 nodes.
 * Returns the problems found (at most about 10), empty when valid.
 */
export function validateStateDocument(doc: unknown): string[] {
  if (!isObject(doc)) return ['the document is not a JSON object'];
  const problems: string[] = [];
  if (!isObject(doc.meta)) problems.push('meta is not an object');
  else {
    if (typeof doc.meta.schemaVersion !== 'number') problems.push('meta.schemaVersion is not a number');
    if (typeof doc.meta.createdAt !== 'string') problems.push('meta.createdAt is not a string');
  }
  checkRecords(problems, doc, 'nodes', ['uuid']);
  checkRecords(problems, doc, 'ports', ['uuid', 'address', 'node_uuid']);
  checkRecords(problems, doc, 'introspections', ['uuid', 'state']);
  checkRecords(problems, doc, 'rules', ['uuid']);
  checkRecords(problems, doc, 'review', ['id']);
  if (!Array.isArray(doc.leases)) problems.push('leases is not an array');
  if (!isObject(doc.settings)) problems.push('settings is not an object');
  else if (typeof doc.settings.discovery !== 'boolean') problems.push('settings.discovery is not a boolean');
  return problems;
}

/** Migrate then validate; throws with every problem listed (the StateFile adapter's `decode`). */
export function decodeStateDocument(
  raw: unknown,
  migrations: MigrationTable = stateMigrations,
  currentVersion: number = CURRENT_SCHEMA_VERSION,
): { doc: StateDocument; fromVersion: number } {
  const { doc, fromVersion } = migrateDocument(raw, migrations, currentVersion);
  const problems = validateStateDocument(doc);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return { doc: doc as unknown as StateDocument, fromVersion };
}
