// Why a CLI command stopped, as a process exit code: the CLI's own error type (client side, so it
// is not part of the HTTP error catalogue in core/errors.ts).
import { parseStrictBool } from '../core/strict-bool.js';

/** Exit codes of `inspectord` client verbs (documented in docs/cli.md). */
export const EXIT = {
  ok: 0,
  /** The API answered with an error status (message from `{"error":{"message"}}`). */
  api: 1,
  /** Bad command line or bad input file. */
  usage: 2,
  /** The daemon could not be reached (connection refused, DNS, timeout, stream lost). */
  unreachable: 3,
  /** `--wait --timeout` expired, like coreutils timeout(1). */
  timeout: 124,
  /** Ctrl-C while waiting (128 + SIGINT, the shell convention). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliFailure extends Error {
  readonly exitCode: number;
  /** HTTP status when the failure is an API error answer. */
  readonly status: number | undefined;

  constructor(exitCode: number, message: string, status?: number) {
    super(message);
    this.name = 'CliFailure';
    this.exitCode = exitCode;
    this.status = status;
  }
}

export function usageError(message: string): CliFailure {
  return new CliFailure(EXIT.usage, message);
}

/** A boolean flag value (true/false, yes/no, on/off, 1/0 …); anything else is a usage error. */
export function parseBoolFlag(name: string, value: unknown): boolean {
  const parsed = parseStrictBool(String(value));
  if (parsed === null) throw usageError(`--${name} must be true or false, got "${String(value)}"`);
  return parsed;
}
