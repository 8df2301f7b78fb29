// The small interfaces core uses to talk to the world (implemented by store/, ipmi/, firewall/,
// http-boot/ …, wired in main.ts).
import type { StateDocument } from './introspection-record.js';

export type { Clock } from './clock.js';
export type { EventSink, EventInput, EventRecord } from './events.js';
export type { PowerControl, BmcTarget } from './power.js';
export type { PxeFilter, FilterPolicy } from './pxe-filter.js';

/** The persisted state document held in memory; mutations are followed by `changed()`. */
export interface StateStore {
  readonly doc: StateDocument;
  /** Schedule a (debounced) write; `durable` writes and fsyncs now and resolves when on disk. */
  changed(options?: { durable?: boolean }): Promise<void>;
  /** Write pending changes now (durable). */
  flush(): Promise<void>;
}

export type DataKind = 'processed' | 'unprocessed';

/** Introspection data and ramdisk logs as separate files, never inside the state document. */
export interface BlobStore {
  putData(uuid: string, kind: DataKind, json: string): Promise<void>;
  getData(uuid: string, kind: DataKind): Promise<string | null>;
  /** Keeps the previous processed data of a node (drift reports compare against it). */
  getPreviousData(uuid: string): Promise<string | null>;
  deleteData(uuid: string): Promise<void>;
  putRamdiskLogs(directory: string, filename: string, content: Buffer): Promise<string>;
}

export interface EventQuery {
  mac?: string;
  node?: string;
  /** Only events with seq greater than this. */
  after?: number;
  limit?: number;
  types?: string[];
}
