// `serve`: run the daemon. The CLI only parses the options; main.ts provides the daemon itself.
import type { Argv } from 'yargs';
import type { Select } from '../context.js';
import { EXIT, usageError } from '../failure.js';

export interface ServeArgs {
  config: string;
  /** `section.option=value` overrides, in command-line order. */
  set: string[];
}

export interface CliHooks {
  serve: (args: ServeArgs) => Promise<void>;
  /** How this inspectord is started (node + script), for `install-unit`'s ExecStart. */
  self?: { node: string; script: string };
}

export const DEFAULT_CONFIG = '/etc/inspectord/inspector.conf';

export function registerServeCommand(y: Argv, select: Select, hooks: CliHooks): Argv {
  return y.command(
    'serve',
    'Run the inspectord daemon',
    (b) =>
      b
        .option('config', {
          alias: 'c',
          type: 'string',
          default: DEFAULT_CONFIG,
          describe: 'INI configuration file',
        })
        .option('set', {
          type: 'string',
          array: true,
          default: [] as string[],
          describe: 'override an option: section.option=value (repeatable)',
        }),
    (a) => {
      const args: ServeArgs = { config: String(a.config), set: (a.set ?? []).map(String) };
      for (const item of args.set)
        if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+=/.test(item))
          throw usageError(`--set takes section.option=value, got "${item}"`);
      select(async () => {
        await hooks.serve(args);
        return EXIT.ok;
      });
    },
  );
}
