// Durable files on disk: the atomic write helper (temp 0600 + fdatasync + rename + directory
// fsync, shared with blobs.ts) and our lowdb Adapter for the state document, which keeps a `.bak`
// of the last good file and falls back to it, loudly, when the main file is corrupt.
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Adapter } from 'lowdb';
import { AppError, isAppError } from '../core/errors.js';

/** The file-system calls the writer uses; injectable so tests can simulate ENOSPC/EIO. */
export type AtomicFs = Pick<typeof nodeFs, 'open' | 'rename' | 'link' | 'unlink' | 'copyFile'>;

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0600: the state holds BMC credentials). */
  mode?: number;
  /** Keep the file being replaced under this name (hard link, copy as fallback). */
  backupPath?: string;
  fs?: AtomicFs;
}

let tempCounter = 0;

/** A temp name in the target's directory (rename is only atomic within one file system). */
export function tempPathFor(target: string): string {
  tempCounter += 1;
  const suffix = `${process.pid}.${tempCounter}.${randomBytes(4).toString('hex')}`;
  return join(dirname(target), `.${basename(target)}.${suffix}.tmp`);
}

/** True for leftovers of `tempPathFor(target)` (a write interrupted by a crash). */
export function isTempFileOf(target: string, name: string): boolean {
  const prefix = `.${basename(target)}.`;
  return name.startsWith(prefix) && name.endsWith('.tmp');
}

/** fsync a directory so that a rename/creation inside it survives power loss. */
export async function fsyncDirectory(dir: string, fs: AtomicFs = nodeFs): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The errno code of a file-system error (`ENOSPC`, …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}

/**
 * Replace `target` with `data` so that after a crash (kill -9 or power loss) the file holds
 * either the old or the new content, never a mix: write a uniquely named temp file in the same
 * directory, fdatasync it, rename it over the target, then fsync the directory (rename(2) is
 * atomic; the directory fsync makes the new name durable).
 */
export async function writeFileAtomic(
  target: string,
  data: string | Buffer | readonly Buffer[],
  options: AtomicWriteOptions = {},
): Promise<void> {
  const fs = options.fs ?? nodeFs;
  const temp = tempPathFor(target);
  let created = false;
  try {
    // 'wx': never follow or reuse an existing path (a stale or planted temp file).
    const handle = await fs.open(temp, 'wx', options.mode ?? 0o600);
    created = true;
    try {
      if (Array.isArray(data)) await writeAll(handle, data as readonly Buffer[]);
      else await handle.writeFile(data as string | Buffer);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    if (options.backupPath !== undefined) await keepBackup(fs, target, options.backupPath);
    await fs.rename(temp, target);
    created = false;
    await fsyncDirectory(dirname(target), fs);
  } catch (error) {
    if (created) await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** Write every chunk with writev (libuv loops over IOV_MAX and short writes; we check the total). */
async function writeAll(handle: nodeFs.FileHandle, chunks: readonly Buffer[]): Promise<void> {
  let expected = 0;
  for (const chunk of chunks) expected += chunk.length;
  const { bytesWritten } = await handle.writev(chunks as Buffer[]);
  if (bytesWritten !== expected) {
    throw new AppError('ERR_STORE_WRITE', `short write: ${bytesWritten} of ${expected} bytes`);
  }
}

/**
 * Point `backupPath` at the current content of `target` without a window where neither exists:
 * hard-link (or copy) to a temp name, then rename over the backup. Missing target: nothing to keep.
 */
async function keepBackup(fs: AtomicFs, target: string, backupPath: string): Promise<void> {
  const temp = tempPathFor(backupPath);
  try {
    await fs.link(target, temp);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'EOPNOTSUPP') throw error;
    // File systems without hard links: a copy costs one read of the previous file.
    await fs.copyFile(target, temp);
  }
  try {
    await fs.rename(temp, backupPath);
  } catch (error) {
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
}

export interface StateFileDeps {
  log: Logger;
}

export interface StateFileOptions<T> {
  /** The main file, e.g. `/var/lib/inspectord/state.json`; the backup is `<path>.bak`. */
  path: string;
  /**
   * Turn parsed JSON into a valid document (migrate + validate); throw to reject it. An
   * AppError `ERR_STORE_VERSION` is final (no fallback to the backup, which is older still).
   */
  decode: (raw: unknown) => T;
  /** Serialise a document; must produce the bytes of JSON.stringify(data) (default: that). */
  encode?: (data: T) => string | Buffer | Buffer[];
  fs?: AtomicFs;
}

/** Where the last `read()` found its document. */
export type StateFileSource = 'main' | 'backup' | 'none';

/**
 * lowdb Adapter for the state document: compact JSON (pretty printing costs ~30% more CPU per
 * write, dependencies.md §3), atomic durable writes with a `.bak` of the previous good file.
 */
export class StateFile<T> implements Adapter<T> {
  readonly path: string;
  readonly backupPath: string;
  /** Set by read(): which file the document came from. */
  source: StateFileSource = 'none';
  private readonly log: Logger;
  private readonly decode: (raw: unknown) => T;
  private readonly encode: (data: T) => string | Buffer | Buffer[];
  private readonly fs: AtomicFs;
  /** The main file failed to load: don't let the next write overwrite the good .bak with it. */
  private mainIsSuspect = false;

  constructor(deps: StateFileDeps, options: StateFileOptions<T>) {
    this.log = deps.log;
    this.path = options.path;
    this.backupPath = `${options.path}.bak`;
    this.decode = options.decode;
    this.encode = options.encode ?? ((data) => JSON.stringify(data));
    this.fs = options.fs ?? nodeFs;
  }

  async read(): Promise<T | null> {
    await this.removeStaleTempFiles();
    const main = await this.load(this.path);
    if (main.kind === 'ok') {
      this.source = 'main';
      return main.value;
    }
    const backup = await this.load(this.backupPath);
    if (main.kind === 'missing') {
      if (backup.kind === 'ok') {
        // Our writer never removes the main file, so this is an operator's doing: prefer keeping data.
        this.log.error(
          { file: this.path, backup: this.backupPath },
          'state file is missing but its backup exists; loading the backup',
        );
        this.source = 'backup';
        return backup.value;
      }
      this.source = 'none';
      return null;
    }
    // The main file exists but is unusable.
    const preserved = await this.preserveCorrupt();
    if (backup.kind === 'ok') {
      this.log.error(
        { file: this.path, reason: main.reason, backup: this.backupPath, preserved },
        `STATE FILE CORRUPT: ${this.path} (${main.reason}); recovered from ${this.backupPath} — changes after that backup are lost`,
      );
      this.mainIsSuspect = true;
      this.source = 'backup';
      return backup.value;
    }
    const backupReason = backup.kind === 'missing' ? 'missing' : backup.reason;
    throw new AppError(
      'ERR_STORE_CORRUPT',
      `State file ${this.path} is unreadable (${main.reason}) and its backup ${this.backupPath} is too (${backupReason}); ` +
        `refusing to start with an empty state. Restore the file or move it away to start empty.`,
      { file: this.path, reason: main.reason, backup: this.backupPath, backupReason, preserved },
    );
  }

  async write(data: T): Promise<void> {
    // Synchronous: the snapshot of the document is taken before the first await.
    const json = this.encode(data);
    await writeFileAtomic(this.path, json, {
      mode: 0o600,
      fs: this.fs,
      ...(this.mainIsSuspect ? {} : { backupPath: this.backupPath }),
    });
    this.mainIsSuspect = false;
  }

  private async load(
    file: string,
  ): Promise<{ kind: 'ok'; value: T } | { kind: 'missing' } | { kind: 'bad'; reason: string }> {
    let text: string;
    try {
      text = await nodeFs.readFile(file, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return { kind: 'missing' };
      return { kind: 'bad', reason: `cannot read: ${String(error)}` };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      return { kind: 'bad', reason: `invalid JSON (${text.length} bytes): ${(error as Error).message}` };
    }
    try {
      return { kind: 'ok', value: this.decode(raw) };
    } catch (error) {
      if (isAppError(error) && error.code === 'ERR_STORE_VERSION') throw error;
      return { kind: 'bad', reason: `invalid document: ${(error as Error).message}` };
    }
  }

  /** Keep the corrupt main file for a post-mortem before the next write replaces it. */
  private async preserveCorrupt(): Promise<string | null> {
    const copy = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      await this.fs.copyFile(this.path, copy);
      return copy;
    } catch (error) {
      this.log.warn({ file: this.path, err: error }, 'could not keep a copy of the corrupt state file');
      return null;
    }
  }

  private async removeStaleTempFiles(): Promise<void> {
    const dir = dirname(this.path);
    let names: string[];
    try {
      names = await nodeFs.readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (isTempFileOf(this.path, name) || isTempFileOf(this.backupPath, name)) {
        await this.fs.unlink(join(dir, name)).catch(() => undefined);
      }
    }
  }
}
