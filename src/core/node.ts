// Node inventory records, shaped like Ironic's nodes and ports (the appliance has no Ironic).
// BMC passwords live in driver_info but are write-only: never returned by the API or logged.

export interface DriverInfo {
  ipmi_address?: string;
  /** A number, or a decimal string as Ironic clients may send it (see ipmiPortOf). */
  ipmi_port?: number | string;
  ipmi_username?: string;
  ipmi_password?: string;
  /** Other driver fields are kept as given (e.g. redfish_address for lookup). */
  [key: string]: unknown;
}

export interface NodeRecord {
  uuid: string;
  name: string | null;
  driver: string;
  driver_info: DriverInfo;
  properties: Record<string, unknown>;
  extra: Record<string, unknown>;
  traits: string[];
  provision_state: string;
  maintenance: boolean;
  created_at: string;
  updated_at: string | null;
}

export interface LocalLinkConnection {
  switch_id?: string;
  port_id?: string;
  switch_info?: string;
  [key: string]: unknown;
}

export interface PortRecord {
  uuid: string;
  /** MAC address, lowercase colon form. */
  address: string;
  node_uuid: string;
  pxe_enabled: boolean;
  local_link_connection: LocalLinkConnection;
  physical_network: string | null;
  extra: Record<string, unknown>;
  created_at: string;
  updated_at: string | null;
}

/** Driver-info keys whose values must never leave the daemon. */
export const SECRET_DRIVER_INFO_KEYS = ['ipmi_password', 'redfish_password', 'password'] as const;

/** Copy of a node with secrets replaced by `******` (Ironic's convention). */
export function redactNode(node: NodeRecord): NodeRecord {
  const driverInfo: DriverInfo = { ...node.driver_info };
  for (const key of Object.keys(driverInfo)) {
    if ((SECRET_DRIVER_INFO_KEYS as readonly string[]).includes(key) && driverInfo[key] !== undefined) {
      driverInfo[key] = '******';
    }
  }
  return { ...node, driver_info: driverInfo };
}

const MAC_RE =
  /^([0-9a-f]{2})([:-]?)([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i;

/** Normalise a MAC (`AA-BB-…`, `aabb…`, `aa:bb:…`) to lowercase colon form, or null if invalid. */
export function normalizeMac(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = MAC_RE.exec(value.trim());
  if (!m) return null;
  return [m[1], m[3], m[4], m[5], m[6], m[7]].join(':').toLowerCase();
}

/** PXE `BOOTIF` forms: `01-aa-bb-cc-dd-ee-ff` (pxelinux, hardware type prefix) or a plain MAC. */
export function normalizeBootInterface(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  const prefixed = /^01[-:]([0-9a-f]{2}(?:[-:][0-9a-f]{2}){5})$/i.exec(trimmed);
  return normalizeMac(prefixed ? prefixed[1] : trimmed);
}

/**
 * A deep copy of a JSON-like record, every object and array in it frozen. The repository stores
 * nodes and ports only in this form: they are replaced, never mutated in place, so the state store
 * may reuse a record's encoding for as long as the same object is in the document (store/
 * state-encoder.ts). Copying first keeps us from freezing objects a caller still owns (hook data,
 * request bodies). Non-plain objects (none are expected in a record) are kept and frozen as they are.
 */
export function frozenRecordCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return Object.freeze(value.map((item: unknown) => frozenRecordCopy(item))) as T;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return Object.freeze(value);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = frozenRecordCopy((value as Record<string, unknown>)[key]);
    // A JSON key "__proto__" is an own property; plain assignment would set the prototype.
    if (key === '__proto__')
      Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true });
    else copy[key] = item;
  }
  return Object.freeze(copy) as T;
}

/** Freeze a record the caller owns (e.g. just loaded from disk) in place, deeply; see frozenRecordCopy. */
export function deepFreezeRecord<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreezeRecord((value as Record<string, unknown>)[key]);
  return value;
}
