// `health [--wait S] [--allow-unhealthy]`: GET /healthz. With --wait, retries until the daemon
// answers (the unit's ExecStartPost readiness check, see systemd/inspectord.service).
import type { Argv } from 'yargs';
import { describeCause } from '../api-client.js';
import type { CommandContext, Select } from '../context.js';
import { CliFailure, EXIT, usageError } from '../failure.js';
import { printJson } from '../output.js';

export interface HealthArgs {
  waitSeconds: number;
  allowUnhealthy: boolean;
}

interface Report {
  status: string;
  reasons?: string[];
}

async function probe(ctx: CommandContext): Promise<Report> {
  // /healthz is public and 503 carries the reasons, so a plain fetch rather than the API client
  // (which turns every status ≥ 400 into a failure).
  const url = ctx.client().url('/healthz');
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(5000)]) });
  } catch (error) {
    if (ctx.signal.aborted) throw new CliFailure(EXIT.interrupted, 'interrupted');
    throw new CliFailure(EXIT.unreachable, `cannot reach inspectord at ${url}: ${describeCause(error)}`);
  }
  const text = await response.text();
  try {
    return JSON.parse(text) as Report;
  } catch {
    throw new CliFailure(
      EXIT.api,
      `GET /healthz answered ${response.status} without JSON: ${text.slice(0, 200)}`,
    );
  }
}

export async function health(ctx: CommandContext, args: HealthArgs, now = Date.now): Promise<number> {
  const deadline = now() + args.waitSeconds * 1000;
  for (;;) {
    let report: Report;
    try {
      report = await probe(ctx);
    } catch (error) {
      const unreachable = error instanceof CliFailure && error.exitCode === EXIT.unreachable;
      if (!unreachable || now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    // Still starting is "not answering yet" for --wait: readiness means start-up finished.
    if (report.status === 'starting' && now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    if (ctx.format === 'json') printJson(ctx.io, report);
    else
      ctx.io.stdout.write(
        report.status === 'ok'
          ? 'ok\n'
          : `${report.status}:\n${(report.reasons ?? []).map((r) => `  ${r}\n`).join('')}`,
      );
    return report.status === 'ok' || args.allowUnhealthy ? EXIT.ok : EXIT.api;
  }
}

export function registerHealthCommand(y: Argv, select: Select): Argv {
  return y.command(
    'health',
    'Ask the daemon whether it is healthy (GET /healthz); exit 0 ok, 1 unhealthy, 3 unreachable',
    (b) =>
      b
        .option('wait', {
          type: 'number',
          default: 0,
          describe: 'keep trying for up to this many seconds while the daemon does not answer',
        })
        .option('allow-unhealthy', {
          type: 'boolean',
          default: false,
          describe: 'exit 0 once the daemon answers, even when unhealthy (readiness, not health)',
        }),
    (a) => {
      const waitSeconds = Number(a.wait);
      if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw usageError('--wait takes seconds ≥ 0');
      select((ctx) => health(ctx, { waitSeconds, allowUnhealthy: Boolean(a['allow-unhealthy']) }));
    },
  );
}
