// `ramdisk build`: runs assets/ramdisk/build.sh (the discovery kernel + initramfs from Debian
// packages, cached by package versions and script hash) and passes its exit code through.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import type { CommandContext, Select } from '../context.js';
import { CliFailure, EXIT } from '../failure.js';

/** assets/ramdisk/build.sh of this checkout (dist/src/cli/commands → ../../../../assets). */
export function defaultBuildScript(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = here.includes(`${path.sep}dist${path.sep}`) ? ['..', '..', '..', '..'] : ['..', '..', '..'];
  return path.resolve(here, ...up, 'assets', 'ramdisk', 'build.sh');
}

export interface RamdiskBuildArgs {
  out?: string;
  cache?: string;
  force?: boolean;
  ipmitool?: boolean;
  lldp?: boolean;
}

/** The build.sh argument vector for the parsed options. */
export function buildScriptArgs(args: RamdiskBuildArgs): string[] {
  return [
    ...(args.out ? ['--out', args.out] : []),
    ...(args.cache ? ['--cache', args.cache] : []),
    ...(args.force ? ['--force'] : []),
    ...(args.ipmitool === false ? ['--no-ipmitool'] : []),
    ...(args.lldp === false ? ['--no-lldp'] : []),
  ];
}

async function build(ctx: CommandContext, args: RamdiskBuildArgs, script: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...buildScriptArgs(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => ctx.io.stdout.write(d.toString()));
    child.stderr.on('data', (d: Buffer) => ctx.io.stderr.write(d.toString()));
    const onAbort = (): void => {
      child.kill('SIGTERM');
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) =>
      reject(new CliFailure(EXIT.usage, `cannot run ${script}: ${error.message}`)),
    );
    child.on('close', (code, signal) => {
      ctx.signal.removeEventListener('abort', onAbort);
      if (signal) resolve(EXIT.interrupted);
      else resolve(code === 0 ? EXIT.ok : (code ?? EXIT.api));
    });
  });
}

export function registerRamdiskCommands(y: Argv, select: Select, script = defaultBuildScript()): Argv {
  return y.command('ramdisk', 'The discovery ramdisk', (b) =>
    b
      .command(
        'build',
        'Build discovery.kernel + discovery.initramfs from Debian packages (root; cached)',
        (c) =>
          c
            .option('out', { type: 'string', describe: 'output directory (default: the cache directory)' })
            .option('cache', {
              type: 'string',
              describe: 'cache directory (env INSPECTORD_RAMDISK_CACHE)',
              defaultDescription: '/var/cache/inspectord/ramdisk',
            })
            .option('force', { type: 'boolean', default: false, describe: 'rebuild even when cached' })
            .option('ipmitool', {
              type: 'boolean',
              default: true,
              describe: 'include ipmitool (bmc_address, in-band credentials); --no-ipmitool leaves it out',
            })
            .option('lldp', {
              type: 'boolean',
              default: true,
              describe: 'include tcpdump for LLDP capture; --no-lldp leaves it out',
            }),
        (argv) => select((ctx) => build(ctx, argv as RamdiskBuildArgs, script)),
      )
      .demandCommand(1, 'give a ramdisk subcommand: build'),
  );
}
