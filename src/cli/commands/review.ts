// `review list|show|resolve`: inventories whose identity matched two nodes wait here for an
// operator (GET /v1/review, GET /v1/review/<id>, POST /v1/review/<id>/resolve).
import type { Argv } from 'yargs';
import { seg, type CommandContext, type Select } from '../context.js';
import { EXIT, usageError } from '../failure.js';
import { printJson, renderObject, renderTable } from '../output.js';

async function listReview(ctx: CommandContext): Promise<number> {
  const answer = await ctx.client().json<{ review: Record<string, unknown>[] }>('GET', '/v1/review');
  if (ctx.format === 'json') printJson(ctx.io, answer);
  else
    ctx.io.stdout.write(
      renderTable(
        ['ID', 'Created at', 'Candidates', 'Reason'],
        answer.review.map((e) => [e.id, e.created_at, (e.candidates as string[]).join(', '), e.reason]),
      ),
    );
  return EXIT.ok;
}

async function showReview(ctx: CommandContext, id: string): Promise<number> {
  const answer = await ctx.client().json<Record<string, unknown>>('GET', `/v1/review/${seg(id)}`);
  if (ctx.format === 'json') printJson(ctx.io, answer);
  else {
    const data = answer.data as Record<string, unknown> | null;
    const inventory = (data?.inventory ?? {}) as Record<string, unknown>;
    const interfaces = Array.isArray(inventory.interfaces)
      ? (inventory.interfaces as Record<string, unknown>[])
      : [];
    const { data: _data, ...entry } = answer;
    ctx.io.stdout.write(
      renderObject({
        ...entry,
        bmc_address: inventory.bmc_address ?? null,
        system_vendor: inventory.system_vendor ?? null,
        macs: interfaces.map((i) => i.mac_address),
      }),
    );
  }
  return EXIT.ok;
}

async function resolveReview(
  ctx: CommandContext,
  id: string,
  node?: string,
  discard?: boolean,
): Promise<number> {
  if ((node === undefined) === (discard !== true))
    throw usageError('give exactly one of --node NODE (merge into that node) or --discard');
  const answer = await ctx.client().json<Record<string, unknown>>('POST', `/v1/review/${seg(id)}/resolve`, {
    body: node !== undefined ? { node } : { action: 'discard' },
  });
  if (ctx.format === 'json') printJson(ctx.io, answer);
  else
    ctx.io.stdout.write(
      answer.action === 'merged'
        ? `review ${id}: merged into node ${String(answer.node)} and processed\n`
        : `review ${id}: discarded\n`,
    );
  return EXIT.ok;
}

export function registerReviewCommands(y: Argv, select: Select): Argv {
  return y.command('review', 'Inventories that matched two nodes and need an operator', (b) =>
    b
      .command(
        'list',
        'List the entries waiting for review',
        () => undefined,
        () => select(listReview),
      )
      .command(
        'show <id>',
        'Show an entry with the identity facts of its data',
        (c) => c.positional('id', { type: 'string', demandOption: true }),
        (a) => select((ctx) => showReview(ctx, String(a.id))),
      )
      .command(
        'resolve <id>',
        'Merge the data into a node (and process it there), or discard it',
        (c) =>
          c
            .positional('id', { type: 'string', demandOption: true })
            .option('node', { type: 'string', describe: 'node UUID or name to merge into' })
            .option('discard', { type: 'boolean', describe: 'drop the data' }),
        (a) =>
          select((ctx) =>
            resolveReview(
              ctx,
              String(a.id),
              a.node === undefined ? undefined : String(a.node),
              a.discard as boolean | undefined,
            ),
          ),
      )
      .demandCommand(1, 'give a review subcommand: list, show or resolve'),
  );
}
