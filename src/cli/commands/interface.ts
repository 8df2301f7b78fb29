// `interface list|show`: the node's NICs and what LLDP says about the switch port behind each,
// from the processed data's `all_interfaces` (as the reference client's interface commands).
import type { Argv } from 'yargs';
import { seg, type CommandContext, type Select } from '../context.js';
import { CliFailure, EXIT, usageError } from '../failure.js';
import { printJson, renderTable } from '../output.js';

/** Every interface field, in the reference client's order; all but the first three come from lldp_processed. */
export const INTERFACE_FIELDS = [
  'interface',
  'mac',
  'switch_port_vlan_ids',
  'switch_chassis_id',
  'switch_port_id',
  'switch_port_description',
  'switch_system_name',
  'switch_system_description',
  'switch_capabilities_support',
  'switch_capabilities_enabled',
  'switch_mgmt_addresses',
  'switch_port_untagged_vlan_id',
  'switch_port_vlans',
  'switch_port_protocol_vlan_enabled',
  'switch_port_protocol_vlan_support',
  'switch_port_protocol_vlan_ids',
  'switch_port_management_vlan_id',
  'switch_port_link_aggregation_enabled',
  'switch_port_link_aggregation_support',
  'switch_port_link_aggregation_id',
  'switch_port_autonegotiation_enabled',
  'switch_port_autonegotiation_support',
  'switch_port_physical_capabilities',
  'switch_port_mau_type',
  'switch_port_mtu',
  'switch_protocol_identities',
] as const;

const DEFAULT_LIST_FIELDS = [
  'interface',
  'mac',
  'switch_port_vlan_ids',
  'switch_chassis_id',
  'switch_port_id',
];

const ACRONYMS: Record<string, string> = {
  mac: 'MAC Address',
  vlan: 'VLAN',
  vlans: 'VLANs',
  id: 'ID',
  ids: 'IDs',
  mtu: 'MTU',
  mau: 'MAU',
  mgmt: 'Mgmt',
};

/** Column heading of a field: `switch_port_vlan_ids` → `Switch Port VLAN IDs`. */
export function fieldLabel(field: string): string {
  return field
    .split('_')
    .map((word) => ACRONYMS[word] ?? word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

type Row = Record<string, unknown>;

/** One row per interface: name, MAC, VLAN ids derived from switch_port_vlans, then LLDP fields. */
export function interfaceRows(data: unknown): Row[] {
  const all = (data as { all_interfaces?: unknown })?.all_interfaces;
  if (all === null || typeof all !== 'object' || Array.isArray(all)) return [];
  return Object.entries(all as Record<string, Record<string, unknown>>)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, info]) => {
      const lldp = (info?.lldp_processed ?? {}) as Record<string, unknown>;
      const vlans = Array.isArray(lldp.switch_port_vlans) ? (lldp.switch_port_vlans as Row[]) : [];
      const row: Row = {};
      for (const field of INTERFACE_FIELDS) row[field] = lldp[field] ?? null;
      row.interface = name;
      row.mac = info?.mac ?? null;
      row.switch_port_vlan_ids = vlans.map((v) => v?.id).filter((id) => id !== undefined);
      return row;
    });
}

function checkFields(fields: string[] | undefined): string[] | undefined {
  if (fields === undefined) return undefined;
  const list = fields.flatMap((f) => f.split(',')).filter(Boolean);
  const unknown = list.filter((f) => !(INTERFACE_FIELDS as readonly string[]).includes(f));
  if (unknown.length > 0)
    throw usageError(
      `unknown interface field(s): ${unknown.join(', ')}; known: ${INTERFACE_FIELDS.join(', ')}`,
    );
  return list;
}

async function fetchRows(ctx: CommandContext, node: string): Promise<Row[]> {
  return interfaceRows(await ctx.client().json('GET', `/v1/introspection/${seg(node)}/data`));
}

function pick(row: Row, fields: readonly string[]): Row {
  return Object.fromEntries(fields.map((f) => [f, row[f]]));
}

async function listInterfaces(
  ctx: CommandContext,
  node: string,
  options: { vlan?: number; fields?: string[]; long: boolean },
): Promise<number> {
  let rows = await fetchRows(ctx, node);
  if (options.vlan !== undefined)
    rows = rows.filter((r) => (r.switch_port_vlan_ids as unknown[]).includes(options.vlan));
  const fields = options.fields ?? (options.long ? [...INTERFACE_FIELDS] : DEFAULT_LIST_FIELDS);
  if (ctx.format === 'json')
    printJson(
      ctx.io,
      rows.map((r) => pick(r, fields)),
    );
  else
    ctx.io.stdout.write(
      renderTable(
        fields.map(fieldLabel),
        rows.map((r) => fields.map((f) => r[f])),
      ),
    );
  return EXIT.ok;
}

async function showInterface(
  ctx: CommandContext,
  node: string,
  name: string,
  fields?: string[],
): Promise<number> {
  const row = (await fetchRows(ctx, node)).find((r) => r.interface === name);
  if (!row) throw new CliFailure(EXIT.api, `Interface ${name} was not found on node ${node}`);
  const selected = pick(row, fields ?? INTERFACE_FIELDS);
  if (ctx.format === 'json') printJson(ctx.io, selected);
  else
    ctx.io.stdout.write(
      renderTable(
        ['Field', 'Value'],
        Object.entries(selected).map(([k, v]) => [k, v]),
      ),
    );
  return EXIT.ok;
}

export function registerInterfaceCommands(y: Argv, select: Select): Argv {
  return y.command('interface', 'Network interfaces found by introspection (with LLDP data)', (b) =>
    b
      .command(
        'list <node>',
        'List the interfaces of a node',
        (c) =>
          c
            .positional('node', { type: 'string', demandOption: true })
            .option('vlan', { type: 'number', describe: 'only interfaces on this VLAN id' })
            .option('long', { type: 'boolean', default: false, describe: 'show all fields' })
            .option('fields', { type: 'string', array: true, describe: 'fields to show (see docs/cli.md)' }),
        (a) => {
          const fields = checkFields(a.fields?.map(String));
          if (a.vlan !== undefined && !Number.isInteger(a.vlan))
            throw usageError('--vlan must be an integer');
          select((ctx) =>
            listInterfaces(ctx, String(a.node), {
              ...(a.vlan !== undefined ? { vlan: a.vlan } : {}),
              ...(fields ? { fields } : {}),
              long: a.long === true,
            }),
          );
        },
      )
      .command(
        'show <node> <interface>',
        'Show one interface of a node',
        (c) =>
          c
            .positional('node', { type: 'string', demandOption: true })
            .positional('interface', { type: 'string', demandOption: true })
            .option('fields', { type: 'string', array: true, describe: 'fields to show' }),
        (a) => {
          const fields = checkFields(a.fields?.map(String));
          select((ctx) => showInterface(ctx, String(a.node), String(a.interface), fields));
        },
      )
      .demandCommand(1, 'give an interface subcommand: list or show'),
  );
}
