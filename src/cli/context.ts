// What a command's action gets: output streams, the chosen format, a lazily built API client
// (so `serve` and usage errors never need one) and an abort signal.
import type { ApiClient } from './api-client.js';
import type { CliIo, Format } from './output.js';

export interface CommandContext {
  io: CliIo;
  format: Format;
  client(): ApiClient;
  /** Aborted on Ctrl-C (or by the caller's io.signal). */
  signal: AbortSignal;
}

/** A parsed command, run after yargs is done; resolves to the process exit code. */
export type Action = (ctx: CommandContext) => Promise<number>;

/** Commands register themselves on yargs and hand the chosen action back through `select`. */
export type Select = (action: Action) => void;

/** Path segment for a node/rule identifier typed by the user (names may hold `~` or `.`). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
