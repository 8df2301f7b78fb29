// `install-unit [--prefix DIR] [--url URL]`: installs systemd/inspectord.service with the real
// path of this inspectord, and a default /etc/inspectord/inspector.conf (0640) when there is none;
// runs `systemctl daemon-reload` only when systemd is the running init and the prefix is /.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import type { CommandContext, Select } from '../context.js';
import { EXIT, usageError } from '../failure.js';

/** How this inspectord is started: [node, script] (given by main.ts). */
export interface SelfCommand {
  node: string;
  script: string;
}

export type InstallStep =
  | { kind: 'mkdir'; path: string; mode: number }
  | { kind: 'write'; path: string; content: string; mode: number }
  | { kind: 'keep'; path: string; reason: string }
  | { kind: 'run'; argv: string[] }
  | { kind: 'skip'; what: string; reason: string }
  | { kind: 'warn'; message: string };

export interface InstallInput {
  /** Root the files go under: `/` for a real install, a staging directory otherwise. */
  prefix: string;
  executable: readonly string[];
  url: string;
  unitTemplate: string;
  configExample: string;
  configExists: boolean;
  /** sd_booted(3): /run/systemd/system exists when systemd is the running init (PID 1). */
  systemdRunning: boolean;
}

const TEMPLATE_EXECUTABLE = '/usr/local/bin/inspectord';
const TEMPLATE_URL = 'http://127.0.0.1:5050';

/** The unit with this inspectord's executable and API URL substituted. */
export function renderUnit(template: string, executable: readonly string[], url: string): string {
  for (const part of executable)
    if (/\s/.test(part)) throw usageError(`path "${part}" contains whitespace; install inspectord elsewhere`);
  return template
    .replaceAll(`${TEMPLATE_EXECUTABLE} `, `${executable.join(' ')} `)
    .replaceAll(`INSPECTORD_URL=${TEMPLATE_URL}`, `INSPECTORD_URL=${url}`);
}

export function planInstall(input: InstallInput): InstallStep[] {
  const steps: InstallStep[] = [];
  const unitPath = join(input.prefix, 'etc/systemd/system/inspectord.service');
  const configDir = join(input.prefix, 'etc/inspectord');
  const configPath = join(configDir, 'inspector.conf');
  const hidden = input.executable.find((part) => /^\/(home|root|run\/user)(\/|$)/.test(part));
  if (hidden) {
    steps.push({
      kind: 'warn',
      message: `${hidden} is under /home, /root or /run/user, which ProtectHome=yes hides from the service; install inspectord under /opt or /usr/local`,
    });
  }
  steps.push({ kind: 'mkdir', path: dirname(unitPath), mode: 0o755 });
  steps.push({
    kind: 'write',
    path: unitPath,
    content: renderUnit(input.unitTemplate, input.executable, input.url),
    mode: 0o644,
  });
  steps.push({ kind: 'mkdir', path: configDir, mode: 0o750 });
  if (input.configExists)
    steps.push({ kind: 'keep', path: configPath, reason: 'it exists; not overwritten' });
  // 0640: the config may come to hold passwords; the daemon warns when such a file is readable by others.
  else steps.push({ kind: 'write', path: configPath, content: input.configExample, mode: 0o640 });
  if (resolve(input.prefix) !== '/') {
    steps.push({
      kind: 'skip',
      what: 'systemctl daemon-reload',
      reason: `installed under --prefix ${input.prefix}`,
    });
  } else if (!input.systemdRunning) {
    steps.push({
      kind: 'skip',
      what: 'systemctl daemon-reload',
      reason: 'systemd is not the running init (PID 1) here; it reads the unit when it next starts',
    });
  } else steps.push({ kind: 'run', argv: ['systemctl', 'daemon-reload'] });
  return steps;
}

/** Files shipped in the package next to dist/: the unit and the generated example config. */
function packageFile(relative: string): string {
  return fileURLToPath(new URL(`../../../../${relative}`, import.meta.url));
}

function describe(step: InstallStep): string {
  const mode = (m: number): string => m.toString(8).padStart(4, '0');
  switch (step.kind) {
    case 'mkdir':
      return `directory ${step.path} (${mode(step.mode)})`;
    case 'write':
      return `wrote ${step.path} (${mode(step.mode)})`;
    case 'keep':
      return `kept ${step.path}: ${step.reason}`;
    case 'run':
      return `ran ${step.argv.join(' ')}`;
    case 'skip':
      return `skipped ${step.what}: ${step.reason}`;
    case 'warn':
      return `warning: ${step.message}`;
  }
}

export async function installUnit(
  ctx: CommandContext,
  args: { prefix: string; url: string },
  self: SelfCommand,
): Promise<number> {
  const prefix = resolve(args.prefix);
  const steps = planInstall({
    prefix,
    executable: [self.node, resolve(self.script)],
    url: args.url,
    unitTemplate: await readFile(packageFile('systemd/inspectord.service'), 'utf8'),
    configExample: await readFile(packageFile('inspector.conf.example'), 'utf8'),
    configExists: existsSync(join(prefix, 'etc/inspectord/inspector.conf')),
    systemdRunning: existsSync('/run/systemd/system'),
  });
  for (const step of steps) {
    if (step.kind === 'mkdir') {
      await mkdir(step.path, { recursive: true, mode: step.mode });
      continue;
    }
    if (step.kind === 'write') {
      await writeFile(step.path, step.content, { mode: step.mode });
      await chmod(step.path, step.mode); // writeFile's mode applies only to new files (and umask)
    } else if (step.kind === 'run') {
      const result = spawnSync(step.argv[0]!, step.argv.slice(1), { stdio: 'inherit' });
      if (result.status !== 0) {
        ctx.io.stderr.write(
          `error: ${step.argv.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})\n`,
        );
        return EXIT.api;
      }
    }
    (step.kind === 'warn' ? ctx.io.stderr : ctx.io.stdout).write(`${describe(step)}\n`);
  }
  ctx.io.stdout.write(
    prefix === '/'
      ? 'next: edit /etc/inspectord/inspector.conf, then: systemctl enable --now inspectord\n'
      : `next: copy ${prefix} onto the target root, then: systemctl daemon-reload && systemctl enable --now inspectord\n`,
  );
  return EXIT.ok;
}

export function registerInstallUnitCommand(y: Argv, select: Select, self: SelfCommand | undefined): Argv {
  return y.command(
    'install-unit',
    'Install the systemd unit and a default config (/etc/inspectord/inspector.conf)',
    (b) =>
      b
        .option('prefix', {
          type: 'string',
          default: '/',
          describe: 'install under this root instead of / (no daemon-reload then)',
        })
        .option('url', {
          type: 'string',
          default: TEMPLATE_URL,
          describe: "API URL the unit's readiness check (ExecStartPost) polls",
        }),
    (a) => {
      if (!self) throw usageError('install-unit is not available in this build');
      const url = String(a.url);
      if (!/^https?:\/\/[^\s/]+/.test(url)) throw usageError(`--url "${url}" is not an http(s) URL`);
      select((ctx) => installUnit(ctx, { prefix: String(a.prefix), url }, self));
    },
  );
}
