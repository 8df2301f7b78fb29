// Introspection data and ramdisk logs as separate files (never inside the state document):
// `<stateDir>/introspection/<uuid>/{processed,unprocessed,processed.prev}.json`, each written
// atomically and durably with the same helper as the state file.
import * as nodeFs from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { AppError } from '../core/errors.js';
import type { BlobStore, DataKind } from '../core/ports.js';
import { errorCode, fsyncDirectory, writeFileAtomic, type AtomicFs } from './state-file.js';

export interface FileBlobStoreDeps {
  log: Logger;
}

export interface FileBlobStoreOptions {
  /** Blobs live under `<stateDir>/introspection/`. */
  stateDir: string;
  fs?: AtomicFs;
}

/** A single path component: no separators, no `.`/`..`, no NUL (path traversal). */
export function isSafeFileName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 255 &&
    name !== '.' &&
    name !== '..' &&
    !name.includes('/') &&
    !name.includes('\\') &&
    !name.includes('..') &&
    !name.includes('\0')
  );
}

/**
 * A failed data write (ENOSPC, EIO, EACCES …) as a coded error naming the file and the errno, so
 * the API logs and answers it as such instead of an anonymous 500. The previous file (if any) is
 * untouched: writeFileAtomic only ever replaces it by rename.
 */
function writeFailure(what: string, target: string, error: unknown): AppError {
  const code = errorCode(error);
  const reason = error instanceof Error ? error.message : String(error);
  return new AppError('ERR_STORE_DATA_WRITE', `Could not write ${what} to ${target}: ${reason}`, {
    file: target,
    ...(code ? { errno: code } : {}),
  });
}

export class FileBlobStore implements BlobStore {
  /** `<stateDir>/introspection`. */
  readonly root: string;
  private readonly log: Logger;
  private readonly fs: AtomicFs;
  /**
   * Directories this store created or found, with their parents fsynced: ensureDir skips the
   * mkdir -p for them (it was ~7 % of the daemon's CPU per /v1/continue). deleteData forgets a
   * node's directory; a directory removed behind our back makes the write fail with ENOENT, which
   * forgets it and retries once.
   */
  private readonly knownDirs = new Set<string>();

  constructor(deps: FileBlobStoreDeps, options: FileBlobStoreOptions) {
    this.log = deps.log;
    this.root = join(options.stateDir, 'introspection');
    this.fs = options.fs ?? nodeFs;
  }

  /** Store data of one kind; overwriting processed data keeps the old one as processed.prev.json. */
  async putData(uuid: string, kind: DataKind, json: string): Promise<void> {
    const dir = this.nodeDir(uuid);
    const target = join(dir, `${kind}.json`);
    try {
      await this.inDir(dir, () =>
        writeFileAtomic(target, json, {
          mode: 0o600,
          fs: this.fs,
          ...(kind === 'processed' ? { backupPath: join(dir, 'processed.prev.json') } : {}),
        }),
      );
    } catch (error) {
      throw writeFailure(`${kind} introspection data of node ${uuid}`, target, error);
    }
  }

  async getData(uuid: string, kind: DataKind): Promise<string | null> {
    return this.readOrNull(join(this.nodeDir(uuid), `${kind}.json`));
  }

  async getPreviousData(uuid: string): Promise<string | null> {
    return this.readOrNull(join(this.nodeDir(uuid), 'processed.prev.json'));
  }

  /** Remove every file of a node (its directory), durably. */
  async deleteData(uuid: string): Promise<void> {
    const dir = this.nodeDir(uuid);
    this.knownDirs.delete(dir);
    await nodeFs.rm(dir, { recursive: true, force: true });
    await fsyncDirectory(this.root, this.fs).catch((error: unknown) => {
      if (errorCode(error) !== 'ENOENT') throw error;
    });
  }

  /**
   * Write a ramdisk log archive into `directory` (created 0700 if needed) as `filename`, mode
   * 0600, atomically; returns the full path. The filename must be one plain path component.
   */
  async putRamdiskLogs(directory: string, filename: string, content: Buffer): Promise<string> {
    if (!isSafeFileName(filename)) {
      throw new AppError('ERR_STORE_BAD_NAME', `Invalid ramdisk log file name ${JSON.stringify(filename)}`, {
        filename,
      });
    }
    const target = join(directory, filename);
    try {
      await this.inDir(directory, () => writeFileAtomic(target, content, { mode: 0o600, fs: this.fs }));
    } catch (error) {
      throw writeFailure('ramdisk logs', target, error);
    }
    return target;
  }

  private nodeDir(uuid: string): string {
    if (!isSafeFileName(uuid)) {
      throw new AppError('ERR_STORE_BAD_NAME', `Invalid node UUID for data files ${JSON.stringify(uuid)}`, {
        uuid,
      });
    }
    return join(this.root, uuid);
  }

  /** Run `write` (which creates a file in `dir`) once `dir` exists; see knownDirs. */
  private async inDir(dir: string, write: () => Promise<void>): Promise<void> {
    if (!this.knownDirs.has(dir)) {
      await this.ensureDir(dir);
      await write();
      return;
    }
    try {
      await write();
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      this.knownDirs.delete(dir);
      await this.ensureDir(dir);
      await write();
    }
  }

  /** mkdir -p with 0700, and fsync the parent of each new directory so it survives a crash. */
  private async ensureDir(dir: string): Promise<void> {
    await this.createDir(dir);
    this.knownDirs.add(dir);
  }

  private async createDir(dir: string): Promise<void> {
    const firstCreated = await nodeFs.mkdir(dir, { recursive: true, mode: 0o700 });
    if (firstCreated === undefined) return;
    // Every directory from firstCreated down to dir is new: fsync each one's parent.
    let current = dir;
    for (;;) {
      const parent = dirname(current);
      await fsyncDirectory(parent, this.fs);
      if (current === firstCreated || parent === current) break;
      current = parent;
    }
  }

  private async readOrNull(file: string): Promise<string | null> {
    try {
      return await nodeFs.readFile(file, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return null;
      this.log.error({ err: error, file }, 'could not read introspection data file');
      throw error;
    }
  }
}
