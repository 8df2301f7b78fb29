// Where CLI output goes and how it looks: injectable streams, `--format table|json`, and the
// box tables `openstack` prints (Field/Value for one object, one row per item for lists).

export interface TextSink {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  /** Environment for INSPECTORD_URL / INSPECTORD_USER / INSPECTORD_PASSWORD (default process.env). */
  env?: Record<string, string | undefined>;
  /**
   * Ends `events --follow` (and a `--wait`) when aborted. When absent, runCli aborts on SIGINT
   * itself while such a command runs.
   */
  signal?: AbortSignal;
}

export type Format = 'table' | 'json';

/** A table cell: null shows as None (as the reference CLI does), objects as compact JSON. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function renderTable(headers: string[], rows: unknown[][]): string {
  const text = rows.map((row) => headers.map((_h, i) => cell(row[i])));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  const line = (cells: string[]): string =>
    `|${cells.map((c, i) => ` ${c.padEnd(widths[i] ?? 0)} `).join('|')}|\n`;
  return rule + line(headers) + rule + text.map(line).join('') + (text.length > 0 ? rule : '');
}

/** Field/Value table of one object, keys sorted, `links` dropped (as `openstack … show` does). */
export function renderObject(object: Record<string, unknown>, order?: string[]): string {
  const keys = Object.keys(object).filter((k) => k !== 'links');
  const sorted = order
    ? [...order.filter((k) => keys.includes(k)), ...keys.filter((k) => !order.includes(k)).sort()]
    : keys.sort();
  return renderTable(
    ['Field', 'Value'],
    sorted.map((k) => [k, object[k]]),
  );
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `<ts> <type> [<mac>] <message>`: one line of a MAC's or node's boot timeline. */
export function timelineLine(event: Record<string, unknown>): string {
  const parts = [cell(event.ts), cell(event.type)];
  if (typeof event.mac === 'string' && event.mac) parts.push(event.mac);
  parts.push(cell(event.message));
  return `${parts.join(' ')}\n`;
}
