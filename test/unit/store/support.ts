// Shared fixtures of the store tests: temp state dirs removed after each test, a capturing
// pino logger, a settable clock and a file-system wrapper that fails on demand.
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { pino, type Logger } from 'pino';
import type { AtomicFs } from '../../../src/store/state-file.js';

export async function tempStateDir(t: ExecutionContext): Promise<string> {
  const dir = await fsp.mkdtemp(join(tmpdir(), 'inspectord-store-'));
  t.teardown(() => fsp.rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface CapturedLog {
  log: Logger;
  lines: Array<{ level: number; msg: string; [key: string]: unknown }>;
}

export function captureLog(): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { log, lines };
}

export const silentLog: Logger = pino({ level: 'silent' });

/** Real fs calls, except that `open` of a temp file fails while `failing` is set. */
export function failingFs(code = 'ENOSPC'): AtomicFs & { failing: boolean; failures: number } {
  const wrapper = {
    failing: false,
    failures: 0,
    open: (async (path: Parameters<typeof fsp.open>[0], ...rest: unknown[]) => {
      if (wrapper.failing && String(path).endsWith('.tmp')) {
        wrapper.failures += 1;
        const error = new Error(
          `${code}: no space left on device, open '${String(path)}'`,
        ) as NodeJS.ErrnoException;
        error.code = code;
        throw error;
      }
      return (fsp.open as (...a: unknown[]) => Promise<fsp.FileHandle>)(path, ...rest);
    }) as AtomicFs['open'],
    rename: fsp.rename,
    link: fsp.link,
    unlink: fsp.unlink,
    copyFile: fsp.copyFile,
  };
  return wrapper;
}
