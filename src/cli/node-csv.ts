// Bulk enrolment file → node bodies for POST /v1/nodes: header row with name, ipmi_address,
// ipmi_username, ipmi_password, ipmi_port (optional), driver (optional) and MACs in `mac`,
// `mac2`… columns or a `;`-separated `macs` column.
import { normalizeMac } from '../core/node.js';
import { CsvError, parseCsv } from './csv.js';
import { usageError } from './failure.js';

export interface NodeRow {
  /** 1-based line of the row in the file. */
  line: number;
  name: string | undefined;
  /** The POST /v1/nodes body, or undefined when the row itself is invalid. */
  body?: Record<string, unknown>;
  error?: string;
}

const FIXED_COLUMNS = [
  'name',
  'driver',
  'ipmi_address',
  'ipmi_username',
  'ipmi_password',
  'ipmi_port',
  'macs',
];
const isMacColumn = (column: string): boolean => /^mac\d*$/.test(column);

/** Parses the file; a bad header is a usage error (exit 2), a bad row is reported per row. */
export function nodesFromCsv(text: string, file: string): NodeRow[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvError) throw usageError(`${file}: ${error.message}`);
    throw error;
  }
  const [header, ...rows] = records;
  if (!header) throw usageError(`${file} is empty: it needs a header row (name,ipmi_address,…,mac)`);
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  const unknown = columns.filter((c) => !FIXED_COLUMNS.includes(c) && !isMacColumn(c));
  if (unknown.length > 0)
    throw usageError(
      `${file}: unknown column(s) ${unknown.map((c) => `"${c}"`).join(', ')}; known: ${FIXED_COLUMNS.join(', ')}, mac, mac2…`,
    );
  const duplicate = columns.find((c, i) => columns.indexOf(c) !== i);
  if (duplicate !== undefined) throw usageError(`${file}: column "${duplicate}" appears twice`);
  if (!columns.includes('ipmi_address') && !columns.some(isMacColumn) && !columns.includes('macs'))
    throw usageError(`${file}: needs an ipmi_address or a mac column so that nodes can be looked up`);

  return rows.map(({ line, fields }) => {
    const cell = (column: string): string | undefined => {
      const index = columns.indexOf(column);
      const value = index >= 0 ? fields[index] : undefined;
      return value === undefined || value === '' ? undefined : value;
    };
    const name = cell('name');
    if (fields.length !== columns.length)
      return { line, name, error: `has ${fields.length} fields but the header has ${columns.length}` };
    const rawMacs = [
      ...columns.filter(isMacColumn).map(cell),
      ...(cell('macs') ?? '').split(';').map((m) => m.trim()),
    ].filter((m): m is string => m !== undefined && m !== '');
    const macs: string[] = [];
    for (const raw of rawMacs) {
      const mac = normalizeMac(raw);
      if (mac === null) return { line, name, error: `"${raw}" is not a MAC address` };
      if (!macs.includes(mac)) macs.push(mac);
    }
    const driverInfo: Record<string, unknown> = {};
    for (const key of ['ipmi_address', 'ipmi_username', 'ipmi_password']) {
      const value = cell(key);
      if (value !== undefined) driverInfo[key] = value;
    }
    const port = cell('ipmi_port');
    if (port !== undefined) {
      const n = Number(port);
      if (!/^\d+$/.test(port) || n < 1 || n > 65535)
        return { line, name, error: `ipmi_port "${port}" is not a port number` };
      driverInfo.ipmi_port = n;
    }
    const body: Record<string, unknown> = {};
    if (name !== undefined) body.name = name;
    body.driver = cell('driver') ?? 'ipmi';
    body.driver_info = driverInfo;
    if (macs.length > 0) body.ports = macs.map((address) => ({ address }));
    return { line, name, body };
  });
}
