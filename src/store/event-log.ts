// The domain event log: a bounded in-memory ring for queries and live follows (API/CLI/SSE), and
// append-only JSON-lines files `<stateDir>/events/events-<n>.jsonl`, written in batches, rotated
// by size and pruned to the last few files: retention is bounded in memory and on disk.
import type { FileHandle } from 'node:fs/promises';
import * as nodeFs from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { EventInput, EventRecord, EventSink } from '../core/events.js';
import type { EventQuery } from '../core/ports.js';

export interface FileEventLogDeps {
  log: Logger;
  clock: Clock;
}

export interface FileEventLogOptions {
  /** Event files live in `<stateDir>/events/` (created 0700). */
  stateDir: string;
  /** Events kept in memory for queries (default 50,000). */
  ringSize?: number;
  /** Start a new file once the current one would exceed this, bytes (default 8 MiB). */
  maxFileBytes?: number;
  /** Files kept on disk, the current one included (default 4). */
  maxFiles?: number;
  /** Buffered events are appended at most this often, ms (default 100). */
  flushIntervalMs?: number;
  /** Unwritten bytes kept while the disk is slow or failing; older ones are dropped (default 16 MiB). */
  maxPendingBytes?: number;
}

export type EventListener = (event: EventRecord) => void;

const FILE_RE = /^events-(\d+)\.jsonl$/;
const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

function fileName(index: number): string {
  return `events-${index}.jsonl`;
}

/** A compiled EventQuery filter (mac/node/types; `after`/`limit` are handled by the caller). */
function matcher(q: EventQuery): (r: EventRecord) => boolean {
  const mac = q.mac?.toLowerCase();
  const node = q.node;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const type of q.types ?? []) {
    // `dhcp.*` (or a bare area `dhcp`) selects a whole area.
    if (type.endsWith('.*')) prefixes.push(type.slice(0, -1));
    else if (!type.includes('.')) prefixes.push(`${type}.`);
    else exact.add(type);
  }
  const anyType = exact.size === 0 && prefixes.length === 0;
  return (r) =>
    (mac === undefined || r.mac === mac) &&
    (node === undefined || r.node === node) &&
    (anyType || exact.has(r.type) || prefixes.some((p) => r.type.startsWith(p)));
}

function isEventRecord(value: unknown): value is EventRecord {
  const r = value as Partial<EventRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.seq === 'number' &&
    typeof r.ts === 'string' &&
    typeof r.type === 'string' &&
    typeof r.message === 'string' &&
    typeof r.level === 'string' &&
    LEVELS.has(r.level)
  );
}

export class FileEventLog implements EventSink {
  readonly dir: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly capacity: number;
  private readonly maxFileBytes: number;
  private readonly maxFiles: number;
  private readonly flushIntervalMs: number;
  private readonly maxPendingBytes: number;

  // Ring buffer ordered by seq: slot (start + i) % capacity holds the i-th oldest event.
  private readonly ring: Array<EventRecord | undefined>;
  private start = 0;
  private count = 0;
  private seq = 0;

  private readonly listeners = new Set<{ match: (r: EventRecord) => boolean; listener: EventListener }>();

  private pending: string[] = [];
  private pendingBytes = 0;
  private dropped = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Batches are appended one after the other. */
  private chain: Promise<void> = Promise.resolve();
  private handle: FileHandle | null = null;
  private fileIndex: number;
  private fileSize: number;
  private closed = false;
  private lastErrorLogAt = 0;

  private constructor(
    deps: FileEventLogDeps,
    options: FileEventLogOptions,
    loaded: { records: EventRecord[]; fileIndex: number; fileSize: number },
  ) {
    this.log = deps.log;
    this.clock = deps.clock;
    this.dir = join(options.stateDir, 'events');
    this.capacity = Math.max(1, options.ringSize ?? 50_000);
    this.maxFileBytes = options.maxFileBytes ?? 8 * 1024 * 1024;
    this.maxFiles = Math.max(1, options.maxFiles ?? 4);
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.maxPendingBytes = options.maxPendingBytes ?? 16 * 1024 * 1024;
    this.ring = new Array<EventRecord | undefined>(this.capacity);
    for (const record of loaded.records.slice(-this.capacity)) this.push(record);
    for (const record of loaded.records) if (record.seq > this.seq) this.seq = record.seq;
    this.fileIndex = loaded.fileIndex;
    this.fileSize = loaded.fileSize;
  }

  /**
   * Open the log: prune files beyond retention, load the newest events into the ring (a line
   * torn by a crash is skipped) and continue the sequence after the highest one found.
   */
  static async open(deps: FileEventLogDeps, options: FileEventLogOptions): Promise<FileEventLog> {
    const dir = join(options.stateDir, 'events');
    await nodeFs.mkdir(dir, { recursive: true, mode: 0o700 });
    const maxFiles = Math.max(1, options.maxFiles ?? 4);
    const capacity = Math.max(1, options.ringSize ?? 50_000);
    const maxFileBytes = options.maxFileBytes ?? 8 * 1024 * 1024;
    const indices = (await nodeFs.readdir(dir))
      .map((name) => FILE_RE.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const index of indices.slice(0, Math.max(0, indices.length - maxFiles))) {
      await nodeFs.rm(join(dir, fileName(index)), { force: true });
    }
    const kept = indices.slice(-maxFiles);

    const chunks: EventRecord[][] = [];
    let total = 0;
    let badLines = 0;
    let newestTorn = false;
    let newestSize = 0;
    for (let i = kept.length - 1; i >= 0 && total < capacity; i -= 1) {
      const text = await nodeFs.readFile(join(dir, fileName(kept[i] as number)), 'utf8');
      if (i === kept.length - 1) {
        newestSize = Buffer.byteLength(text);
        newestTorn = text.length > 0 && !text.endsWith('\n');
      }
      const records: EventRecord[] = [];
      for (const line of text.split('\n')) {
        if (line === '') continue;
        try {
          const parsed: unknown = JSON.parse(line);
          if (isEventRecord(parsed)) records.push(parsed);
          else badLines += 1;
        } catch {
          badLines += 1;
        }
      }
      chunks.unshift(records);
      total += records.length;
    }
    if (badLines > 0) {
      deps.log.warn({ dir, badLines }, 'skipped unreadable event log lines (e.g. a line torn by a crash)');
    }
    const newest = kept[kept.length - 1];
    // Append to the newest file unless it is full or ends in a torn line (appending would glue
    // the next event onto the fragment).
    const reuse = newest !== undefined && !newestTorn && newestSize < maxFileBytes;
    const fileIndex = newest === undefined ? 1 : reuse ? newest : newest + 1;
    const log = new FileEventLog(deps, options, {
      records: chunks.flat(),
      fileIndex,
      fileSize: reuse ? newestSize : 0,
    });
    return log;
  }

  /** Highest sequence number assigned so far. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Events currently held in memory. */
  get size(): number {
    return this.count;
  }

  /** Record a domain event: never throws, never waits for the disk. */
  emit(event: EventInput): void {
    try {
      const record: EventRecord = {
        seq: this.seq + 1,
        ts: new Date(this.clock.now()).toISOString(),
        type: event.type,
        level: event.level ?? 'info',
        ...(event.mac !== undefined ? { mac: event.mac.toLowerCase() } : {}),
        ...(event.node !== undefined ? { node: event.node } : {}),
        message: event.message,
        ...(event.data !== undefined ? { data: event.data } : {}),
      };
      let line: string;
      try {
        line = JSON.stringify(record);
      } catch (error) {
        // Cyclic or BigInt data: keep the event, lose the details.
        record.data = { unserializable: String(error) };
        line = JSON.stringify(record);
      }
      this.seq = record.seq;
      this.push(record);
      if (!this.closed) this.enqueue(`${line}\n`);
      for (const { match, listener } of this.listeners) {
        if (!match(record)) continue;
        try {
          listener(record);
        } catch (error) {
          this.log.warn({ err: error }, 'event listener threw');
        }
      }
    } catch (error) {
      try {
        this.log.error({ err: error }, 'could not record event');
      } catch {
        // emit() must never throw.
      }
    }
  }

  /**
   * Events matching `q`, oldest first. With `after`: the first `limit` events with a greater
   * seq (paging forward). Without: the newest `limit` events (a timeline's tail).
   */
  query(q: EventQuery = {}): EventRecord[] {
    const match = matcher(q);
    const limit = q.limit !== undefined && q.limit >= 0 ? q.limit : Infinity;
    const out: EventRecord[] = [];
    if (limit === 0) return out;
    if (q.after !== undefined) {
      for (let i = this.firstIndexAfter(q.after); i < this.count && out.length < limit; i += 1) {
        const r = this.at(i);
        if (match(r)) out.push(r);
      }
      return out;
    }
    for (let i = this.count - 1; i >= 0 && out.length < limit; i -= 1) {
      const r = this.at(i);
      if (match(r)) out.push(r);
    }
    return out.reverse();
  }

  /**
   * Live subscription (`--follow`, SSE): `listener` gets each new event matching `q`'s mac/node/
   * types. With `q.after`, the held events after it are replayed first, synchronously, so there
   * is no gap between a query and its follow. Returns the unsubscribe function.
   */
  follow(q: EventQuery, listener: EventListener): () => void {
    const entry = { match: matcher(q), listener };
    if (q.after !== undefined) {
      for (const record of this.query({ ...q, limit: undefined })) {
        try {
          listener(record);
        } catch (error) {
          this.log.warn({ err: error }, 'event listener threw');
        }
      }
    }
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Append everything buffered so far; resolves when written (not fsynced). */
  flush(): Promise<void> {
    this.cancelTimer();
    this.chain = this.chain.then(() => this.writeBatch());
    return this.chain;
  }

  /** Flush, fsync and close the file; later events stay in memory only. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    this.listeners.clear();
    await this.chain;
    if (this.handle) {
      const handle = this.handle;
      this.handle = null;
      await handle.datasync().catch(() => undefined);
      await handle.close().catch(() => undefined);
    }
  }

  private push(record: EventRecord): void {
    if (this.count < this.capacity) {
      this.ring[(this.start + this.count) % this.capacity] = record;
      this.count += 1;
    } else {
      this.ring[this.start] = record;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  private at(i: number): EventRecord {
    return this.ring[(this.start + i) % this.capacity] as EventRecord;
  }

  /** Binary search: the first ring index whose seq is greater than `after` (seq is increasing). */
  private firstIndexAfter(after: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).seq > after) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private enqueue(line: string): void {
    this.pending.push(line);
    this.pendingBytes += Buffer.byteLength(line);
    if (this.pendingBytes > this.maxPendingBytes) this.dropOldestPending();
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.chain = this.chain.then(() => this.writeBatch());
      }, this.flushIntervalMs);
      // The log must not keep a stopping process alive; close() flushes what is left.
      this.timer.unref();
    }
  }

  /** Over the cap: drop the oldest quarter in one splice (amortised O(1) per event). */
  private dropOldestPending(): void {
    const target = this.maxPendingBytes * 0.75;
    let bytes = this.pendingBytes;
    let n = 0;
    while (bytes > target && n < this.pending.length - 1) {
      bytes -= Buffer.byteLength(this.pending[n] as string);
      n += 1;
    }
    this.pending.splice(0, n);
    this.pendingBytes = bytes;
    this.dropped += n;
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Append the buffered lines in one write, rotating first when the file would grow too big. */
  private async writeBatch(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending.join('');
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      if (this.fileSize > 0 && this.fileSize + bytes > this.maxFileBytes) await this.rotate();
      if (!this.handle) {
        this.handle = await nodeFs.open(join(this.dir, fileName(this.fileIndex)), 'a', 0o600);
      }
      await this.handle.write(batch);
      this.fileSize += bytes;
    } catch (error) {
      // Events are best effort (the state file is what must be durable): count and move on.
      this.dropped += bytes > 0 ? batch.split('\n').length - 1 : 0;
      this.logWriteError(error);
    }
    if (this.dropped > 0 && this.clock.now() - this.lastErrorLogAt > 10_000) {
      this.lastErrorLogAt = this.clock.now();
      this.log.warn(
        { dropped: this.dropped, dir: this.dir },
        'events were not persisted (disk slow or failing)',
      );
      this.dropped = 0;
    }
  }

  private async rotate(): Promise<void> {
    if (this.handle) {
      const handle = this.handle;
      this.handle = null;
      await handle.close().catch(() => undefined);
    }
    this.fileIndex += 1;
    this.fileSize = 0;
    for (let index = this.fileIndex - this.maxFiles; index > 0; index -= 1) {
      try {
        await nodeFs.unlink(join(this.dir, fileName(index)));
      } catch {
        break; // older ones were removed by earlier rotations
      }
    }
  }

  private logWriteError(error: unknown): void {
    const now = this.clock.now();
    if (now - this.lastErrorLogAt < 10_000) return;
    this.lastErrorLogAt = now;
    this.log.error({ err: error, dir: this.dir }, 'could not append to the event log');
  }
}
