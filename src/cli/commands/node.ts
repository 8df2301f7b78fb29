// `node add|list|show|set|unset|delete|import` and `node port list|add`: the appliance's own node
// inventory (REST extension shaped like Ironic's; PATCH takes RFC 6902 JSON patch operations).
import type { Argv } from 'yargs';
import { seg, type CommandContext, type Select } from '../context.js';
import { CliFailure, EXIT, parseBoolFlag, usageError } from '../failure.js';
import { nodesFromCsv } from '../node-csv.js';
import { printJson, renderObject, renderTable } from '../output.js';
import { readInputFile } from './introspection.js';
import { addPowerCommands } from './power.js';

/** `k=v` as the Ironic client reads it: the value is JSON when it parses (4096, true), else a string. */
export function parseKeyValue(option: string, text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw usageError(`--${option} takes key=value, got "${text}"`);
  const key = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  try {
    return [key, JSON.parse(raw)];
  } catch {
    return [key, raw];
  }
}

/** RFC 6901 §3: escape a key for use in a JSON pointer. */
function pointerKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function strings(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function parsePort(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw usageError(`--ipmi-port "${String(value)}" is not a port number`);
  return n;
}

type Args = Record<string, unknown>;

const IPMI_OPTIONS = ['ipmi-address', 'ipmi-username', 'ipmi-password'] as const;

/** Driver-info fields given on the command line (passwords are sent, never printed). */
function driverInfoFromArgs(a: Args): Record<string, unknown> {
  const info: Record<string, unknown> = {};
  for (const option of IPMI_OPTIONS)
    if (a[option] !== undefined) info[option.replace('-', '_')] = String(a[option]);
  const port = parsePort(a['ipmi-port']);
  if (port !== undefined) info.ipmi_port = port;
  return info;
}

export function nodeBodyFromArgs(a: Args): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (a.name !== undefined) body.name = String(a.name);
  body.driver = a.driver === undefined ? 'ipmi' : String(a.driver);
  const info = driverInfoFromArgs(a);
  if (Object.keys(info).length > 0) body.driver_info = info;
  const properties = Object.fromEntries(strings(a.property).map((kv) => parseKeyValue('property', kv)));
  if (Object.keys(properties).length > 0) body.properties = properties;
  const extra = Object.fromEntries(strings(a.extra).map((kv) => parseKeyValue('extra', kv)));
  if (Object.keys(extra).length > 0) body.extra = extra;
  if (a['provision-state'] !== undefined) body.provision_state = String(a['provision-state']);
  if (a.maintenance !== undefined) body.maintenance = parseBoolFlag('maintenance', a.maintenance);
  const macs = strings(a.mac);
  if (macs.length > 0) body.ports = macs.map((address) => ({ address }));
  return body;
}

/** `node drift NODE`: every node.drift event, one block per re-introspection. */
async function showDrift(ctx: CommandContext, node: string): Promise<number> {
  const answer = await ctx.client().json<{ events: Array<Record<string, unknown>> }>('GET', '/v1/events', {
    query: { node, type: 'node.drift' },
  });
  if (ctx.format === 'json') {
    printJson(ctx.io, answer);
    return EXIT.ok;
  }
  if (answer.events.length === 0) {
    ctx.io.stdout.write(`no hardware drift recorded for node ${node}\n`);
    return EXIT.ok;
  }
  const rows: unknown[][] = [];
  for (const event of answer.events) {
    const changes = ((event.data as Record<string, unknown> | undefined)?.changes ?? []) as Array<
      Record<string, unknown>
    >;
    changes.forEach((c, i) => rows.push([i === 0 ? event.ts : '', c.area, c.change, c.message]));
  }
  ctx.io.stdout.write(renderTable(['Introspected at', 'Area', 'Change', 'Detail'], rows));
  return EXIT.ok;
}

export interface PatchOp {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: unknown;
}

/** JSON patch for `node set`. `add` on an object member replaces it too (RFC 6902 §4.1). */
export function setPatch(a: Args): PatchOp[] {
  const ops: PatchOp[] = [];
  if (a.name !== undefined) ops.push({ op: 'replace', path: '/name', value: String(a.name) });
  if (a.driver !== undefined) ops.push({ op: 'replace', path: '/driver', value: String(a.driver) });
  for (const [key, value] of Object.entries(driverInfoFromArgs(a)))
    ops.push({ op: 'add', path: `/driver_info/${key}`, value });
  for (const kv of strings(a.property)) {
    const [key, value] = parseKeyValue('property', kv);
    ops.push({ op: 'add', path: `/properties/${pointerKey(key)}`, value });
  }
  for (const kv of strings(a.extra)) {
    const [key, value] = parseKeyValue('extra', kv);
    ops.push({ op: 'add', path: `/extra/${pointerKey(key)}`, value });
  }
  if (a.maintenance !== undefined)
    ops.push({ op: 'replace', path: '/maintenance', value: parseBoolFlag('maintenance', a.maintenance) });
  if (a['provision-state'] !== undefined)
    ops.push({ op: 'replace', path: '/provision_state', value: String(a['provision-state']) });
  return ops;
}

export function unsetPatch(a: Args): PatchOp[] {
  return [
    ...strings(a.property).map((k) => ({ op: 'remove' as const, path: `/properties/${pointerKey(k)}` })),
    ...strings(a.extra).map((k) => ({ op: 'remove' as const, path: `/extra/${pointerKey(k)}` })),
    ...strings(a['driver-info']).map((k) => ({
      op: 'remove' as const,
      path: `/driver_info/${pointerKey(k)}`,
    })),
  ];
}

const NODE_ORDER = ['uuid', 'name', 'driver', 'driver_info', 'provision_state', 'maintenance'];

function printNode(ctx: CommandContext, node: Record<string, unknown>): void {
  if (ctx.format === 'json') printJson(ctx.io, node);
  else ctx.io.stdout.write(renderObject(node, NODE_ORDER));
}

/** PATCH a node with JSON-patch operations and print the result. */
async function patchNode(ctx: CommandContext, node: string, ops: PatchOp[]): Promise<number> {
  printNode(ctx, await ctx.client().json('PATCH', `/v1/nodes/${seg(node)}`, { body: ops }));
  return EXIT.ok;
}

type Node = Record<string, unknown> & { driver_info?: Record<string, unknown> };

async function listNodes(ctx: CommandContext): Promise<number> {
  const answer = await ctx.client().json<{ nodes: Node[] }>('GET', '/v1/nodes');
  if (ctx.format === 'json') printJson(ctx.io, answer);
  else
    ctx.io.stdout.write(
      renderTable(
        ['UUID', 'Name', 'Provision State', 'Maintenance', 'BMC Address'],
        (answer.nodes ?? []).map((n) => [
          n.uuid,
          n.name,
          n.provision_state,
          n.maintenance,
          n.driver_info?.ipmi_address,
        ]),
      ),
    );
  return EXIT.ok;
}

async function deleteNodes(ctx: CommandContext, nodes: string[]): Promise<number> {
  let failed = false;
  for (const node of nodes) {
    try {
      await ctx.client().request('DELETE', `/v1/nodes/${seg(node)}`);
    } catch (error) {
      if (!(error instanceof CliFailure) || error.exitCode !== EXIT.api) throw error;
      ctx.io.stderr.write(`error: ${node}: ${error.message}\n`);
      failed = true;
    }
  }
  return failed ? EXIT.api : EXIT.ok;
}

async function listPorts(ctx: CommandContext, node: string): Promise<number> {
  const answer = await ctx
    .client()
    .json<{ ports: Record<string, unknown>[] }>('GET', `/v1/nodes/${seg(node)}/ports`);
  if (ctx.format === 'json') printJson(ctx.io, answer);
  else
    ctx.io.stdout.write(
      renderTable(
        ['UUID', 'Address', 'PXE Enabled', 'Physical Network', 'Local Link Connection'],
        (answer.ports ?? []).map((p) => [
          p.uuid,
          p.address,
          p.pxe_enabled,
          p.physical_network,
          p.local_link_connection,
        ]),
      ),
    );
  return EXIT.ok;
}

interface ImportResult {
  line: number;
  name: string | null;
  status: 'created' | 'failed';
  uuid?: string;
  error?: string;
}

async function importNodes(ctx: CommandContext, file: string): Promise<number> {
  const rows = nodesFromCsv(await readInputFile(file), file);
  const results: ImportResult[] = [];
  for (const row of rows) {
    const base = { line: row.line, name: row.name ?? null };
    if (!row.body) {
      results.push({ ...base, status: 'failed', error: row.error ?? 'invalid row' });
      continue;
    }
    try {
      const node = await ctx.client().json<Node>('POST', '/v1/nodes', { body: row.body });
      results.push({ ...base, status: 'created', uuid: String(node.uuid) });
    } catch (error) {
      // An unreachable daemon stops the import (exit 3); an API refusal fails only this row.
      if (!(error instanceof CliFailure) || error.exitCode !== EXIT.api) throw error;
      results.push({ ...base, status: 'failed', error: error.message });
    }
  }
  const failed = results.filter((r) => r.status === 'failed').length;
  if (ctx.format === 'json') printJson(ctx.io, results);
  else {
    for (const r of results) {
      const who = `line ${r.line}${r.name ? ` (${r.name})` : ''}`;
      if (r.status === 'created') ctx.io.stdout.write(`${who}: created ${r.uuid}\n`);
      else ctx.io.stdout.write(`${who}: failed: ${r.error}\n`);
    }
    ctx.io.stdout.write(`${results.length - failed} created, ${failed} failed\n`);
  }
  return failed > 0 ? EXIT.api : EXIT.ok;
}

function nodeOptions(b: Argv, forSet: boolean): Argv {
  return b
    .option('name', { type: 'string', describe: 'unique node name' })
    .option('driver', { type: 'string', describe: forSet ? 'driver' : 'driver (default ipmi)' })
    .option('ipmi-address', { type: 'string', describe: 'BMC address' })
    .option('ipmi-port', { type: 'number', describe: 'BMC UDP port (623)' })
    .option('ipmi-username', { type: 'string', describe: 'BMC user name' })
    .option('ipmi-password', { type: 'string', describe: 'BMC password (write-only, never shown)' })
    .option('property', {
      type: 'string',
      array: true,
      describe: 'key=value (value parsed as JSON if it can be)',
    })
    .option('extra', { type: 'string', array: true, describe: 'key=value' })
    .option('maintenance', { type: 'string', describe: 'true or false' })
    .option('provision-state', { type: 'string', describe: 'e.g. manageable, enroll' });
}

export function registerNodeCommands(y: Argv, select: Select): Argv {
  return y.command('node', 'The node inventory (BMCs and MACs of the machines to introspect)', (b) =>
    addPowerCommands(b, select)
      .command(
        'add',
        'Enrol a node',
        (c) =>
          nodeOptions(c, false).option('mac', {
            type: 'string',
            array: true,
            describe: 'MAC address of a port (repeatable)',
          }),
        (a) => {
          const body = nodeBodyFromArgs(a);
          select(async (ctx) => {
            printNode(ctx, await ctx.client().json('POST', '/v1/nodes', { body }));
            return EXIT.ok;
          });
        },
      )
      .command(
        'list',
        'List nodes',
        () => undefined,
        () => select(listNodes),
      )
      .command(
        'show <node>',
        'Show a node',
        (c) => c.positional('node', { type: 'string', demandOption: true }),
        (a) =>
          select(async (ctx) => {
            printNode(ctx, await ctx.client().json('GET', `/v1/nodes/${seg(String(a.node))}`));
            return EXIT.ok;
          }),
      )
      .command(
        'set <node>',
        'Change fields of a node',
        (c) => nodeOptions(c.positional('node', { type: 'string', demandOption: true }), true),
        (a) => {
          const ops = setPatch(a);
          if (ops.length === 0) throw usageError('node set: nothing to change; give at least one option');
          select((ctx) => patchNode(ctx, String(a.node), ops));
        },
      )
      .command(
        'unset <node>',
        'Remove properties, extra or driver-info keys of a node',
        (c) =>
          c
            .positional('node', { type: 'string', demandOption: true })
            .option('property', { type: 'string', array: true, describe: 'property key to remove' })
            .option('extra', { type: 'string', array: true, describe: 'extra key to remove' })
            .option('driver-info', { type: 'string', array: true, describe: 'driver_info key to remove' }),
        (a) => {
          const ops = unsetPatch(a);
          if (ops.length === 0) throw usageError('node unset: give --property, --extra or --driver-info');
          select((ctx) => patchNode(ctx, String(a.node), ops));
        },
      )
      .command(
        'delete <nodes..>',
        'Delete nodes (abort a running introspection first)',
        (c) => c.positional('nodes', { type: 'string', array: true, demandOption: true }),
        (a) => select((ctx) => deleteNodes(ctx, strings(a.nodes))),
      )
      .command(
        'import <file>',
        'Enrol nodes from a CSV file (name,ipmi_address,ipmi_username,ipmi_password[,ipmi_port],mac…)',
        (c) => c.positional('file', { type: 'string', demandOption: true }),
        (a) => select((ctx) => importNodes(ctx, String(a.file))),
      )
      .command(
        'drift <node>',
        'Hardware changes found when the node was introspected again (node.drift events)',
        (c) => c.positional('node', { type: 'string', demandOption: true }),
        (a) => select((ctx) => showDrift(ctx, String(a.node))),
      )
      .command('port', 'Ports (MAC addresses) of a node', (c) =>
        c
          .command(
            'list <node>',
            'List the ports of a node',
            (d) => d.positional('node', { type: 'string', demandOption: true }),
            (a) => select((ctx) => listPorts(ctx, String(a.node))),
          )
          .command(
            'add <node> <mac>',
            'Add a port to a node',
            (d) =>
              d
                .positional('node', { type: 'string', demandOption: true })
                .positional('mac', { type: 'string', demandOption: true })
                .option('pxe-enabled', { type: 'string', describe: 'true or false (default true)' })
                .option('physical-network', { type: 'string' }),
            (a) => {
              const body: Record<string, unknown> = { address: String(a.mac) };
              if (a['pxe-enabled'] !== undefined)
                body.pxe_enabled = parseBoolFlag('pxe-enabled', a['pxe-enabled']);
              if (a['physical-network'] !== undefined) body.physical_network = String(a['physical-network']);
              select(async (ctx) => {
                const port = await ctx
                  .client()
                  .json<Record<string, unknown>>('POST', `/v1/nodes/${seg(String(a.node))}/ports`, {
                    body,
                  });
                if (ctx.format === 'json') printJson(ctx.io, port);
                else ctx.io.stdout.write(renderObject(port));
                return EXIT.ok;
              });
            },
          )
          .demandCommand(1, 'give a port subcommand: list or add'),
      )
      .demandCommand(
        1,
        'give a node subcommand: add, list, show, set, unset, delete, import, port, drift, power, bootdev or rotate-credentials',
      ),
  );
}
