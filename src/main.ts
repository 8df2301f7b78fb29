// Composition root: the only reader of argv/env/config files and the only place that exits.
// `inspectord serve` runs the daemon; every other verb is the HTTP client in src/cli.
import { readFile } from 'node:fs/promises';
import { runCli } from './cli/index.js';
import { buildConfig, ConfigError, parseIni, withOverrides } from './config/load.js';
import { createLogger, startDaemon } from './daemon.js';
import { schema, type OptionSpec } from './config/schema.js';
import { secretOptionsIn } from './ops/file-permissions.js';
import { isAppError } from './core/errors.js';

/** Options of the parsed file the schema marks `secret` (for the permission check). */
function secretsIn(sections: Record<string, unknown>): string[] {
  const specs = schema as Record<string, Record<string, OptionSpec>>;
  return secretOptionsIn(sections, (section, name) => specs[section]?.[name]?.secret === true);
}

async function serve(args: { config: string; set: string[] }): Promise<void> {
  let sections: Record<string, unknown> = {};
  try {
    sections = parseIni(await readFile(args.config, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || args.config !== '/etc/inspectord/inspector.conf') {
      throw new ConfigError(args.config, [`cannot read the file: ${(error as Error).message}`]);
    }
  }
  const config = buildConfig(withOverrides(sections, args.set), args.config);
  const log = createLogger(config.DEFAULT.log_level);
  const daemon = await startDaemon(config, {
    log,
    configFile: { path: args.config, secrets: secretsIn(sections) },
  }).catch((error: unknown) => {
    // The CLI layer would turn this into a generic exit 1: start-up refusals (nft missing or
    // without CAP_NET_ADMIN, DHCP/TFTP port taken, bad [dhcp]/[pxe_filter] values) exit here.
    if (!isAppError(error)) throw error;
    process.stderr.write(`inspectord: ${error.code}: ${error.message}\n`);
    process.exit(78); // EX_CONFIG
  });
  // SIGHUP: re-read the same file with the same --set overrides; an invalid file changes nothing.
  let reloading = Promise.resolve();
  const onHangup = (): void => {
    reloading = reloading.then(async () => {
      try {
        const text = await readFile(args.config, 'utf8');
        await daemon.reload(buildConfig(withOverrides(parseIni(text), args.set), args.config));
      } catch (error) {
        const message = `configuration reload refused, nothing changed: ${(error as Error).message}`;
        log.error({ file: args.config }, message);
        daemon.families.reloads.inc({ result: 'invalid' });
        daemon.events.emit({ type: 'daemon.reload', level: 'error', message, data: { file: args.config } });
      }
    });
  };
  process.on('SIGHUP', onHangup);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      daemon.close().then(resolve, (error: unknown) => {
        log.error({ err: String(error) }, 'error during shutdown');
        resolve();
      });
    };
    process.once('SIGTERM', () => {
      process.removeListener('SIGHUP', onHangup);
      stop('SIGTERM');
    });
    process.once('SIGINT', () => stop('SIGINT'));
  });
  process.exit(0);
}

try {
  // exitCode, not exit(): an immediate exit can cut off long output written to a pipe.
  process.exitCode = await runCli(process.argv.slice(2), {
    serve,
    self: { node: process.execPath, script: process.argv[1] ?? '' },
  });
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`inspectord: ${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  process.stderr.write(`inspectord: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}
