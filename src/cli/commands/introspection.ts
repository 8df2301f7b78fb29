// Introspection verbs, mirroring `openstack baremetal introspection start|status|list|abort|
// reprocess|data save` (reference §2.2): start (+ --wait with a live timeline), status, list,
// abort, reprocess, data save.
import { readFile, writeFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import type { ApiClient } from '../api-client.js';
import { seg, type CommandContext, type Select } from '../context.js';
import { CliFailure, EXIT, parseBoolFlag, usageError } from '../failure.js';
import { printJson, renderObject, renderTable, timelineLine, type TextSink } from '../output.js';

export interface Status {
  uuid: string;
  finished: boolean;
  state?: string;
  error: string | null;
  started_at?: string | null;
  finished_at?: string | null;
  links?: unknown;
}

interface EventRecord {
  seq: number;
  [key: string]: unknown;
}

/** `finished` alone is not enough: the reference keeps it true while `reapplying` (§1.5). */
export function isDone(status: Status): boolean {
  return (
    status.finished === true && (status.state === undefined || ['finished', 'error'].includes(status.state))
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

async function fetchEvents(
  client: ApiClient,
  node: string,
  after: number | undefined,
): Promise<EventRecord[]> {
  const answer = await client.json<{ events?: EventRecord[] }>('GET', '/v1/events', {
    query: { node, after },
  });
  return Array.isArray(answer?.events) ? answer.events : [];
}

/**
 * Sequence number of the node's newest event, so that --wait shows only what happens from now on.
 * The API has no "latest" query, so page through the history (bounded).
 */
async function lastEventSeq(client: ApiClient, node: string): Promise<number> {
  let seq = 0;
  for (let page = 0; page < 1000; page++) {
    const events = await fetchEvents(client, node, seq || undefined);
    if (events.length === 0) break;
    seq = Math.max(seq, ...events.map((e) => Number(e.seq) || 0));
  }
  return seq;
}

interface WaitOptions {
  intervalMs: number;
  timeoutMs: number | undefined;
  /** Where progress lines go: stdout for tables, stderr with --format json (stdout stays JSON). */
  progress: TextSink;
}

interface Watched {
  node: string;
  seq: number;
  state: string | undefined;
  status?: Status;
}

/** Polls each node's status and its timeline until every node is done; returns the final statuses. */
async function waitForNodes(
  ctx: CommandContext,
  watched: Watched[],
  options: WaitOptions,
): Promise<Status[] | 'timeout'> {
  const client = ctx.client();
  const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  let pending = watched;
  for (;;) {
    for (const item of pending) {
      const status = await client.json<Status>('GET', `/v1/introspection/${seg(item.node)}`);
      // Fetch the timeline after the status, so every event leading to a final state is shown first.
      const events = await fetchEvents(client, status.uuid ?? item.node, item.seq || undefined);
      for (const event of events) {
        options.progress.write(timelineLine(event));
        item.seq = Math.max(item.seq, Number(event.seq) || 0);
      }
      if (isDone(status)) {
        item.status = status;
        options.progress.write(
          status.error ? `${item.node}: finished with error: ${status.error}\n` : `${item.node}: finished\n`,
        );
      } else if (status.state !== item.state && status.state !== undefined) {
        options.progress.write(`${item.node}: ${status.state}\n`);
      }
      item.state = status.state;
    }
    pending = pending.filter((item) => item.status === undefined);
    if (pending.length === 0) return watched.map((item) => item.status as Status);
    if (ctx.signal.aborted) throw new CliFailure(EXIT.interrupted, 'interrupted');
    if (deadline !== undefined && Date.now() >= deadline) {
      ctx.io.stderr.write(
        `error: timed out waiting for introspection of ${pending.map((item) => item.node).join(', ')}\n`,
      );
      return 'timeout';
    }
    // The last poll happens at the deadline itself, not one interval before it.
    const wait =
      deadline === undefined ? options.intervalMs : Math.min(options.intervalMs, deadline - Date.now());
    await sleep(Math.max(0, wait), ctx.signal);
  }
}

export interface IntrospectArgs {
  nodes: string[];
  manageBoot?: boolean;
  newIpmiUsername?: string;
  newIpmiPassword?: string;
  wait: boolean;
  timeoutS?: number;
  pollIntervalS: number;
}

export async function introspect(ctx: CommandContext, args: IntrospectArgs): Promise<number> {
  const client = ctx.client();
  let failed = false;
  const started: Watched[] = [];
  for (const node of args.nodes) {
    try {
      const seq = args.wait ? await lastEventSeq(client, node) : 0;
      await client.request('POST', `/v1/introspection/${seg(node)}`, {
        query: {
          manage_boot: args.manageBoot,
          new_ipmi_username: args.newIpmiUsername,
          new_ipmi_password: args.newIpmiPassword,
        },
      });
      started.push({ node, seq, state: undefined });
    } catch (error) {
      if (!(error instanceof CliFailure) || error.exitCode !== EXIT.api) throw error;
      ctx.io.stderr.write(`error: ${node}: ${error.message}\n`);
      failed = true;
    }
  }
  if (!args.wait || started.length === 0) return failed ? EXIT.api : EXIT.ok;
  return introspectWait(ctx, started, failed, args);
}

/** `wait NODE…`: follow introspections started elsewhere (e.g. a manual power-on) to the end. */
export async function waitFor(
  ctx: CommandContext,
  args: { nodes: string[]; timeoutS?: number; pollIntervalS: number },
): Promise<number> {
  const client = ctx.client();
  const watched: Watched[] = [];
  for (const node of args.nodes) {
    watched.push({ node, seq: await lastEventSeq(client, node), state: undefined });
  }
  return introspectWait(ctx, watched, false, args);
}

async function introspectWait(
  ctx: CommandContext,
  started: Watched[],
  failed: boolean,
  args: { timeoutS?: number; pollIntervalS: number },
): Promise<number> {
  const result = await waitForNodes(ctx, started, {
    intervalMs: args.pollIntervalS * 1000,
    timeoutMs: args.timeoutS === undefined ? undefined : args.timeoutS * 1000,
    progress: ctx.format === 'json' ? ctx.io.stderr : ctx.io.stdout,
  });
  if (result === 'timeout') return EXIT.timeout;
  if (ctx.format === 'json') printJson(ctx.io, result);
  else
    ctx.io.stdout.write(
      renderTable(
        ['UUID', 'Error'],
        result.map((s) => [s.uuid, s.error]),
      ),
    );
  return failed || result.some((s) => s.error) ? EXIT.api : EXIT.ok;
}

async function status(ctx: CommandContext, node: string): Promise<number> {
  const answer = await ctx.client().json<Record<string, unknown>>('GET', `/v1/introspection/${seg(node)}`);
  if (ctx.format === 'json') printJson(ctx.io, answer);
  else ctx.io.stdout.write(renderObject(answer));
  return EXIT.ok;
}

async function list(
  ctx: CommandContext,
  args: { marker?: string; limit?: number; state?: string },
): Promise<number> {
  const answer = await ctx.client().json<{ introspection: Status[] }>('GET', '/v1/introspection', {
    query: { marker: args.marker, limit: args.limit, state: args.state },
  });
  if (ctx.format === 'json') printJson(ctx.io, answer);
  else
    ctx.io.stdout.write(
      renderTable(
        ['UUID', 'Started at', 'Finished at', 'State', 'Error'],
        (answer.introspection ?? []).map((s) => [s.uuid, s.started_at, s.finished_at, s.state, s.error]),
      ),
    );
  return EXIT.ok;
}

async function reprocess(ctx: CommandContext, node: string, dataFile?: string): Promise<number> {
  let body: string | undefined;
  if (dataFile !== undefined) {
    body = await readInputFile(dataFile);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      throw usageError(`${dataFile} is not valid JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw usageError(`${dataFile} must hold a JSON object (introspection data)`);
  }
  await ctx
    .client()
    .request('POST', `/v1/introspection/${seg(node)}/data/unprocessed`, body === undefined ? {} : { body });
  return EXIT.ok;
}

async function dataSave(
  ctx: CommandContext,
  node: string,
  unprocessed: boolean,
  file?: string,
): Promise<number> {
  const path = `/v1/introspection/${seg(node)}/data${unprocessed ? '/unprocessed' : ''}`;
  const answer = await ctx.client().request('GET', path);
  if (file !== undefined) {
    try {
      await writeFile(file, answer.bytes);
    } catch (error) {
      throw new CliFailure(EXIT.api, `cannot write ${file}: ${(error as Error).message}`);
    }
    return EXIT.ok;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    throw new CliFailure(EXIT.api, `GET ${path}: the daemon answered with invalid JSON`);
  }
  printJson(ctx.io, parsed);
  return EXIT.ok;
}

export async function readInputFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw usageError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/** `--poll-interval` and `--timeout` of `introspect --wait` and `wait`, checked alike. */
function waitTiming(a: { 'poll-interval'?: unknown; timeout?: unknown }): {
  pollIntervalS: number;
  timeoutS?: number;
} {
  const pollIntervalS = Number(a['poll-interval']);
  if (!(pollIntervalS > 0)) throw usageError('--poll-interval must be a positive number of seconds');
  if (a.timeout === undefined) return { pollIntervalS };
  const timeoutS = Number(a.timeout);
  if (!(timeoutS > 0)) throw usageError('--timeout must be a positive number of seconds');
  return { pollIntervalS, timeoutS };
}

export function registerIntrospectionCommands(y: Argv, select: Select): Argv {
  return y
    .command(
      ['introspect <nodes..>', 'start'],
      'Start introspection of one or more nodes (UUIDs or names)',
      (b) =>
        b
          .positional('nodes', {
            type: 'string',
            array: true,
            demandOption: true,
            describe: 'node UUIDs or names',
          })
          .option('manage-boot', {
            type: 'string',
            describe: 'true: power and boot the node; false: just wait for the ramdisk',
          })
          .option('new-ipmi-username', { type: 'string', describe: 'BMC user name to set (legacy API)' })
          .option('new-ipmi-password', { type: 'string', describe: 'BMC password to set (legacy API)' })
          .option('wait', { type: 'boolean', default: false, describe: 'wait until introspection finishes' })
          .option('check-errors', {
            type: 'boolean',
            default: false,
            describe: 'with --wait, exit 1 when a node finished with an error (always on)',
          })
          .option('timeout', { type: 'number', describe: 'with --wait, give up after S seconds (exit 124)' })
          .option('poll-interval', {
            type: 'number',
            default: 2,
            describe: 'with --wait, seconds between polls',
          })
          .example('$0 introspect node-1 node-2 --wait', 'start two nodes and follow their progress'),
      (a) => {
        const manageBoot =
          a['manage-boot'] === undefined ? undefined : parseBoolFlag('manage-boot', a['manage-boot']);
        if (a['new-ipmi-username'] !== undefined && a['new-ipmi-password'] === undefined)
          throw usageError('--new-ipmi-username needs --new-ipmi-password');
        const timing = waitTiming(a);
        select((ctx) =>
          introspect(ctx, {
            nodes: (a.nodes as string[]).map(String),
            ...(manageBoot !== undefined ? { manageBoot } : {}),
            ...(a['new-ipmi-username'] !== undefined
              ? { newIpmiUsername: String(a['new-ipmi-username']) }
              : {}),
            ...(a['new-ipmi-password'] !== undefined
              ? { newIpmiPassword: String(a['new-ipmi-password']) }
              : {}),
            wait: a.wait === true,
            ...timing,
          }),
        );
      },
    )
    .command(
      'wait <nodes..>',
      'Wait for introspections that are already running, showing their timeline as it happens',
      (b) =>
        b
          .positional('nodes', { type: 'string', array: true, demandOption: true })
          .option('timeout', { type: 'number', describe: 'give up after S seconds (exit 124)' })
          .option('poll-interval', { type: 'number', default: 2, describe: 'seconds between polls' })
          .example('$0 wait node-1', 'after starting with --manage-boot false and powering on by hand'),
      (a) => {
        const timing = waitTiming(a);
        select((ctx) =>
          waitFor(ctx, {
            nodes: (a.nodes as string[]).map(String),
            ...timing,
          }),
        );
      },
    )
    .command(
      'status <node>',
      'Show the introspection status of a node',
      (b) => b.positional('node', { type: 'string', demandOption: true }),
      (a) => select((ctx) => status(ctx, String(a.node))),
    )
    .command(
      'list',
      'List introspection statuses (newest first)',
      (b) =>
        b
          .option('marker', { type: 'string', describe: 'UUID of the last node of the previous page' })
          .option('limit', { type: 'number', describe: 'how many statuses to return' })
          .option('state', {
            type: 'string',
            describe: 'only these states, comma separated (e.g. error,waiting)',
          }),
      (a) => {
        if (a.limit !== undefined && !(Number.isInteger(a.limit) && a.limit >= 0))
          throw usageError('--limit must be a non-negative integer');
        select((ctx) =>
          list(ctx, {
            ...(a.marker !== undefined ? { marker: a.marker } : {}),
            ...(a.limit !== undefined ? { limit: a.limit } : {}),
            ...(a.state !== undefined ? { state: a.state } : {}),
          }),
        );
      },
    )
    .command(
      'abort <node>',
      'Abort a running introspection',
      (b) => b.positional('node', { type: 'string', demandOption: true }),
      (a) =>
        select(async (ctx) => {
          await ctx.client().request('POST', `/v1/introspection/${seg(String(a.node))}/abort`);
          return EXIT.ok;
        }),
    )
    .command(
      'reprocess <node>',
      'Process the stored (or given) ramdisk data again',
      (b) =>
        b
          .positional('node', { type: 'string', demandOption: true })
          .option('data', { type: 'string', describe: 'JSON file with new unprocessed data to use instead' }),
      (a) => select((ctx) => reprocess(ctx, String(a.node), a.data)),
    )
    .command('data', 'Introspection data', (b) =>
      b
        .command(
          'save <node>',
          'Save the introspection data of a node (JSON to stdout, or raw to --file)',
          (c) =>
            c
              .positional('node', { type: 'string', demandOption: true })
              .option('unprocessed', { type: 'boolean', default: false, describe: 'the raw ramdisk data' })
              .option('file', { type: 'string', describe: 'write the data to this file' }),
          (a) => select((ctx) => dataSave(ctx, String(a.node), a.unprocessed === true, a.file)),
        )
        .demandCommand(1, 'give a data subcommand: save'),
    );
}
