// `discovery status|on|off`: whether unknown machines may PXE boot the discovery ramdisk
// (GET/PUT /v1/discovery).
import type { Argv } from 'yargs';
import type { CommandContext, Select } from '../context.js';
import { EXIT } from '../failure.js';
import { printJson } from '../output.js';

async function discovery(ctx: CommandContext, enabled?: boolean): Promise<number> {
  const answer = await ctx
    .client()
    .json<{ enabled: boolean }>(enabled === undefined ? 'GET' : 'PUT', '/v1/discovery', {
      ...(enabled === undefined ? {} : { body: { enabled } }),
    });
  if (ctx.format === 'json') printJson(ctx.io, answer);
  else ctx.io.stdout.write(`discovery: ${answer.enabled ? 'enabled' : 'disabled'}\n`);
  return EXIT.ok;
}

export function registerDiscoveryCommands(y: Argv, select: Select): Argv {
  return y.command('discovery', 'Discovery of unknown machines', (b) =>
    b
      .command(
        'status',
        'Show whether discovery is on',
        () => undefined,
        () => select((ctx) => discovery(ctx)),
      )
      .command(
        'on',
        'Let unknown machines boot the discovery ramdisk',
        () => undefined,
        () => select((ctx) => discovery(ctx, true)),
      )
      .command(
        'off',
        'Ignore unknown machines',
        () => undefined,
        () => select((ctx) => discovery(ctx, false)),
      )
      .demandCommand(1, 'give a discovery subcommand: status, on or off'),
  );
}
