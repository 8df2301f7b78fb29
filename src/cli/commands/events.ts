// `events`: the boot timeline of a MAC or node (GET /v1/events), and with --follow the live
// Server-Sent-Events stream until Ctrl-C.
import type { Argv } from 'yargs';
import type { CommandContext, Select } from '../context.js';
import { EXIT, usageError } from '../failure.js';
import { printJson, timelineLine } from '../output.js';

interface EventArgs {
  mac?: string;
  node?: string;
  type?: string;
  after?: number;
  limit?: number;
  follow: boolean;
}

async function showEvents(ctx: CommandContext, args: EventArgs): Promise<number> {
  const query = { mac: args.mac, node: args.node, type: args.type, after: args.after, limit: args.limit };
  const client = ctx.client();
  if (!args.follow) {
    const answer = await client.json<{ events: Record<string, unknown>[] }>('GET', '/v1/events', { query });
    if (ctx.format === 'json') printJson(ctx.io, answer);
    else for (const event of answer.events ?? []) ctx.io.stdout.write(timelineLine(event));
    return EXIT.ok;
  }
  for await (const data of client.stream('/v1/events', { ...query, follow: 1 }, ctx.signal)) {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(data) as Record<string, unknown>;
    } catch {
      continue; // not an event record (keep-alive or a future message kind)
    }
    ctx.io.stdout.write(ctx.format === 'json' ? `${JSON.stringify(event)}\n` : timelineLine(event));
  }
  return EXIT.ok;
}

export function registerEventCommands(y: Argv, select: Select): Argv {
  return y.command(
    'events',
    'Show the boot timeline (DHCP, TFTP, callbacks, hooks …) of a MAC or node',
    (b) =>
      b
        .option('mac', { type: 'string', describe: 'only events of this MAC address' })
        .option('node', { type: 'string', describe: 'only events of this node (UUID or name)' })
        .option('type', { type: 'string', describe: 'only these event types, comma separated' })
        .option('after', { type: 'number', describe: 'only events after this sequence number' })
        .option('limit', { type: 'number', describe: 'at most N events' })
        .option('follow', {
          alias: 'f',
          type: 'boolean',
          default: false,
          describe: 'keep printing new events until Ctrl-C',
        })
        .example('$0 events --mac 52:54:00:12:34:56 --follow', 'watch one machine boot'),
    (a) => {
      for (const name of ['after', 'limit'] as const) {
        const value = a[name];
        if (value !== undefined && !(Number.isInteger(value) && value >= 0))
          throw usageError(`--${name} must be a non-negative integer`);
      }
      select((ctx) =>
        showEvents(ctx, {
          ...(a.mac !== undefined ? { mac: a.mac } : {}),
          ...(a.node !== undefined ? { node: a.node } : {}),
          ...(a.type !== undefined ? { type: a.type } : {}),
          ...(a.after !== undefined ? { after: a.after } : {}),
          ...(a.limit !== undefined ? { limit: a.limit } : {}),
          follow: a.follow === true,
        }),
      );
    },
  );
}
