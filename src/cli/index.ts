// The `inspectord` command line (yargs): `serve` plus client verbs that talk to the daemon's HTTP
// API, mirroring `openstack baremetal introspection …`. Returns an exit code; never exits itself.
import yargs from 'yargs';
import type { Argv } from 'yargs';
import { ApiClient } from './api-client.js';
import type { Action, CommandContext } from './context.js';
import { CliFailure, EXIT, usageError } from './failure.js';
import type { CliIo, Format } from './output.js';
import { registerDiscoveryCommands } from './commands/discovery.js';
import { registerEventCommands } from './commands/events.js';
import { registerInterfaceCommands } from './commands/interface.js';
import { registerIntrospectionCommands } from './commands/introspection.js';
import { registerNodeCommands } from './commands/node.js';
import { registerRamdiskCommands } from './commands/ramdisk.js';
import { registerRuleCommands } from './commands/rule.js';
import { registerReviewCommands } from './commands/review.js';
import { registerServeCommand, type CliHooks } from './commands/serve.js';
import { registerHealthCommand } from './commands/health.js';
import { registerInstallUnitCommand } from './commands/install-unit.js';
import { registerExplainCommands } from './commands/explain.js';

export type { CliHooks, ServeArgs } from './commands/serve.js';
export type { CliIo, TextSink } from './output.js';
export { EXIT } from './failure.js';

export const DEFAULT_URL = 'http://127.0.0.1:5050';

function buildParser(argv: string[], hooks: CliHooks, select: (action: Action) => void): Argv {
  let y: Argv = yargs(argv)
    .scriptName('inspectord')
    .exitProcess(false)
    .strict()
    .version(false)
    .wrap(100)
    .option('url', {
      type: 'string',
      global: true,
      describe: 'daemon API URL (env INSPECTORD_URL)',
      defaultDescription: DEFAULT_URL,
    })
    .option('user', { type: 'string', global: true, describe: 'http_basic user (env INSPECTORD_USER)' })
    .option('password', {
      type: 'string',
      global: true,
      describe: 'http_basic password (env INSPECTORD_PASSWORD, preferred: not visible in ps)',
    })
    .option('format', {
      type: 'string',
      choices: ['table', 'json'],
      default: 'table',
      global: true,
      describe: 'output format; json prints the API answer as it is',
    })
    .group(['url', 'user', 'password', 'format', 'help'], 'Client options:');
  y = registerServeCommand(y, select, hooks);
  y = registerIntrospectionCommands(y, select);
  y = registerRuleCommands(y, select);
  y = registerInterfaceCommands(y, select);
  y = registerNodeCommands(y, select);
  y = registerEventCommands(y, select);
  y = registerDiscoveryCommands(y, select);
  y = registerRamdiskCommands(y, select);
  y = registerReviewCommands(y, select);
  y = registerHealthCommand(y, select);
  y = registerInstallUnitCommand(y, select, hooks.self);
  y = registerExplainCommands(y, select);
  return y
    .demandCommand(1, 'give a command')
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .epilog(
      'Exit codes: 0 ok, 1 API error, 2 usage error, 3 daemon unreachable, 124 --wait timed out, 130 interrupted.',
    )
    .fail((message: string | null, error: Error | undefined) => {
      // Errors thrown by our handlers keep their exit code; yargs' own are usage errors.
      throw error instanceof CliFailure
        ? error
        : usageError(message ?? error?.message ?? 'invalid command line');
    });
}

/**
 * Run the CLI. `argv` excludes node and the script (process.argv.slice(2)); resolves to the exit
 * code. `io` defaults to the process streams and environment.
 */
export async function runCli(
  argv: string[],
  hooks: CliHooks,
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const env = io.env ?? process.env;
  let action: Action | undefined;
  let parsed: Record<string, unknown>;
  let help = '';
  try {
    const parser = buildParser(argv, hooks, (chosen) => {
      action = chosen;
    });
    parsed = await new Promise<Record<string, unknown>>((resolve, reject) => {
      try {
        // With a callback, yargs hands --help output back instead of printing it.
        void parser.parse(argv, {}, (error, args, output) => {
          help = output;
          if (error) reject(error);
          else resolve(args as Record<string, unknown>);
        });
      } catch (error) {
        reject(error);
      }
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`error: ${message}\n`);
    const code = error instanceof CliFailure ? error.exitCode : EXIT.usage;
    if (code === EXIT.usage)
      io.stderr.write("Run 'inspectord --help' (or 'inspectord COMMAND --help') for usage.\n");
    return code;
  }
  if (action === undefined) {
    // --help (or a command group shown with --help): yargs produced the text.
    if (help) io.stdout.write(help.endsWith('\n') ? help : `${help}\n`);
    return EXIT.ok;
  }

  // Ctrl-C aborts waits and event streams cleanly. Installed only once a client verb talks to the
  // daemon (never for `serve`, whose own signal handling main.ts owns), removed when it ends.
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  const external = io.signal;
  let listening = false;
  const listen = (): void => {
    if (listening) return;
    listening = true;
    if (external) {
      if (external.aborted) controller.abort();
      else external.addEventListener('abort', onSigint, { once: true });
    } else process.once('SIGINT', onSigint);
  };

  let client: ApiClient | undefined;
  const ctx: CommandContext = {
    io,
    format: (parsed.format === 'json' ? 'json' : 'table') as Format,
    signal: controller.signal,
    client: () => {
      listen();
      return (client ??= new ApiClient({
        url: (parsed.url as string | undefined) ?? env.INSPECTORD_URL ?? DEFAULT_URL,
        user: (parsed.user as string | undefined) ?? env.INSPECTORD_USER,
        password: (parsed.password as string | undefined) ?? env.INSPECTORD_PASSWORD,
        signal: controller.signal,
      }));
    },
  };
  try {
    return await action(ctx);
  } catch (error) {
    if (error instanceof CliFailure) {
      io.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.api;
  } finally {
    if (listening) {
      if (external) external.removeEventListener('abort', onSigint);
      else process.removeListener('SIGINT', onSigint);
    }
  }
}
