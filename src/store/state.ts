// The state store: the small state document held in memory (lowdb over our StateFile adapter),
// written debounced and coalesced, or durably (fsynced) for critical transitions; one writer.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { AppError, isAppError } from '../core/errors.js';
import {
  CURRENT_SCHEMA_VERSION,
  emptyStateDocument,
  type StateDocument,
} from '../core/introspection-record.js';
import type { StateStore } from '../core/ports.js';
import { StateFile, type AtomicFs, type StateFileSource } from './state-file.js';
import { StateEncoder } from './state-encoder.js';
import { decodeStateDocument, stateMigrations, type MigrationTable } from './state-schema.js';

export interface FileStateStoreDeps {
  log: Logger;
  clock: Clock;
}

export interface FileStateStoreOptions {
  /** Directory holding `state.json` (+ `.bak`); created 0700 if missing. */
  stateDir: string;
  /** Trailing debounce of non-durable changes, ms (default 200). */
  debounceMs?: number;
  /** A pending change is written at most this long after it was signalled, ms (default 1000). */
  maxDelayMs?: number;
  /** First retry after a failed write, ms (doubles up to 30 s; default 1000). */
  retryMs?: number;
  /** File name inside stateDir (default `state.json`). */
  fileName?: string;
  /** Test seams: migration table and file-system calls of the writer. */
  migrations?: MigrationTable;
  currentVersion?: number;
  fs?: AtomicFs;
}

interface Waiter {
  gen: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const MAX_RETRY_MS = 30_000;

function noop(): void {}

export class FileStateStore implements StateStore {
  /** Which file the document was loaded from at open() ('none': started empty). */
  readonly loadedFrom: StateFileSource;
  /** The schemaVersion found on disk before migrations (null when started empty). */
  readonly loadedVersion: number | null;
  /** Completed physical writes (for tests and metrics). */
  writeCount = 0;

  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  private readonly retryMs: number;
  /** Bumped by every changed(); a write covers every generation up to the one it captured. */
  private changeGen = 0;
  private writtenGen = 0;
  private waiters: Waiter[] = [];
  private writing = false;
  /** A write was asked for (durable change, timer, flush) and is not started yet. */
  private writeRequested = false;
  private firstPendingAt: number | null = null;
  private debounceTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private nextRetryMs: number;
  private closed = false;

  private constructor(
    deps: FileStateStoreDeps,
    options: FileStateStoreOptions,
    private readonly db: Low<StateDocument>,
    private readonly file: StateFile<StateDocument>,
    loadedVersion: number | null,
  ) {
    this.log = deps.log;
    this.clock = deps.clock;
    this.debounceMs = options.debounceMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 1000;
    this.retryMs = options.retryMs ?? 1000;
    this.nextRetryMs = this.retryMs;
    this.loadedFrom = file.source;
    this.loadedVersion = loadedVersion;
  }

  /**
   * Load (or create) `<stateDir>/state.json`: validate, migrate older schema versions (and write
   * the migrated document durably; the `.bak` keeps the old one), or fail with ERR_STORE_CORRUPT /
   * ERR_STORE_VERSION rather than start empty over a file we cannot read.
   */
  static async open(deps: FileStateStoreDeps, options: FileStateStoreOptions): Promise<FileStateStore> {
    await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
    let loadedVersion: number | null = null;
    const migrations = options.migrations ?? stateMigrations;
    const currentVersion = options.currentVersion ?? CURRENT_SCHEMA_VERSION;
    const encoder = new StateEncoder();
    const file = new StateFile<StateDocument>(
      { log: deps.log },
      {
        path: join(options.stateDir, options.fileName ?? 'state.json'),
        decode: (raw) => {
          const { doc, fromVersion } = decodeStateDocument(raw, migrations, currentVersion);
          loadedVersion = fromVersion;
          return doc;
        },
        encode: (doc) => encoder.chunks(doc),
        ...(options.fs ? { fs: options.fs } : {}),
      },
    );
    const now = new Date(deps.clock.now()).toISOString();
    const db = new Low<StateDocument>(file, emptyStateDocument(now));
    await db.read();
    const store = new FileStateStore(deps, options, db, file, loadedVersion);
    if (loadedVersion !== null && loadedVersion < currentVersion) {
      deps.log.info(
        { file: file.path, from: loadedVersion, to: currentVersion },
        'state document migrated; writing it',
      );
      await store.changed({ durable: true });
    } else if (file.source === 'backup') {
      // Replace the corrupt (or missing) main file with the recovered document right away.
      await store.changed({ durable: true });
    }
    return store;
  }

  /** The live document: mutate it in place, then call changed(). */
  get doc(): StateDocument {
    return this.db.data;
  }

  /** Path of the main state file. */
  get path(): string {
    return this.file.path;
  }

  /**
   * Signal a mutation. Non-durable: written within debounceMs of the last change and at most
   * maxDelayMs after the first pending one. Durable: written and fsynced now. The promise settles
   * with the first write that covers this change (rejects with ERR_STORE_WRITE if that write
   * fails; the change stays pending and is retried).
   */
  changed(options: { durable?: boolean } = {}): Promise<void> {
    if (this.closed) return handled(Promise.reject(new AppError('ERR_STORE_WRITE', 'State store is closed')));
    this.changeGen += 1;
    const promise = this.waitFor(this.changeGen);
    if (options.durable) {
      this.requestWrite();
    } else {
      this.scheduleDebounced();
    }
    return promise;
  }

  /** Write pending changes now (durable); resolves at once when nothing is pending. */
  flush(): Promise<void> {
    if (this.changeGen === this.writtenGen) return Promise.resolve();
    const promise = this.waitFor(this.changeGen);
    this.requestWrite();
    return promise;
  }

  /** Flush and stop timers; later changed() calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      // Changes signalled while the flush runs are written too, so no waiter is left pending.
      while (this.changeGen !== this.writtenGen) await this.flush();
    } finally {
      this.closed = true;
      this.clearTimers();
      this.settle(
        Infinity,
        new AppError('ERR_STORE_WRITE', `State store ${this.file.path} closed before a change was written`),
      );
    }
  }

  private waitFor(gen: number): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => this.waiters.push({ gen, resolve, reject }));
    return handled(promise);
  }

  private scheduleDebounced(): void {
    const now = this.clock.now();
    if (this.firstPendingAt === null) this.firstPendingAt = now;
    const untilMax = this.firstPendingAt + this.maxDelayMs - now;
    const delay = Math.max(0, Math.min(this.debounceMs, untilMax));
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = null;
      this.requestWrite();
    }, delay);
  }

  private clearTimers(): void {
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.debounceTimer = null;
    this.retryTimer = null;
  }

  private requestWrite(): void {
    this.writeRequested = true;
    if (!this.writing) void this.writeLoop();
  }

  /** The single writer: one physical write in flight; each write takes the latest document. */
  private async writeLoop(): Promise<void> {
    this.writing = true;
    try {
      while (this.writeRequested) {
        this.writeRequested = false;
        if (this.changeGen === this.writtenGen) continue;
        const gen = this.changeGen;
        this.clearTimers();
        this.firstPendingAt = null;
        try {
          // Low.write → StateFile.write stringifies synchronously: the snapshot is taken here.
          await this.db.write();
          this.writeCount += 1;
          this.writtenGen = gen;
          this.nextRetryMs = this.retryMs;
          this.settle(gen, null);
        } catch (error) {
          const wrapped = new AppError(
            'ERR_STORE_WRITE',
            `Could not write state file ${this.file.path}: ${describe(error)}; the previous file is kept and the write will be retried`,
            { file: this.file.path, cause: describe(error) },
          );
          this.log.error(
            { err: error, code: wrapped.code, file: this.file.path, retryInMs: this.nextRetryMs },
            wrapped.message,
          );
          this.settle(gen, wrapped);
          this.scheduleRetry();
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    const delay = this.nextRetryMs;
    this.nextRetryMs = Math.min(this.nextRetryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.requestWrite();
    }, delay);
    // A failing disk must not keep a shutting-down process alive; close() flushes explicitly.
    this.retryTimer.unref();
  }

  private settle(gen: number, error: AppError | null): void {
    const remaining: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.gen > gen) remaining.push(waiter);
      else if (error) waiter.reject(error);
      else waiter.resolve();
    }
    this.waiters = remaining;
  }
}

/** Mark a promise handled: callers may ignore debounced writes without an unhandled rejection. */
function handled(promise: Promise<void>): Promise<void> {
  promise.catch(noop);
  return promise;
}

function describe(error: unknown): string {
  if (isAppError(error)) return error.message;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Node's errno messages already start with the code ("ENOSPC: no space left on device").
    return code && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
