// A BlobStore decorator that tells listeners when a node's processed data is replaced (with the
// previous data), so drift reports and chassis identity follow every introspection and reapply
// without touching the core flow. A listener failure is logged, never fails the introspection.
import type { EventSink } from '../core/events.js';
import type { LogLike } from '../core/log.js';
import type { BlobStore, DataKind } from '../core/ports.js';
import { driftMessage, inventoryDrift } from './drift.js';

export type ProcessedListener = (uuid: string, previous: unknown, current: unknown) => Promise<void> | void;

export class ObservedBlobStore implements BlobStore {
  constructor(
    private readonly inner: BlobStore,
    private readonly listeners: ProcessedListener[],
    private readonly log: LogLike,
  ) {}

  async putData(uuid: string, kind: DataKind, json: string): Promise<void> {
    if (kind !== 'processed' || this.listeners.length === 0) return this.inner.putData(uuid, kind, json);
    const previousJson = await this.inner.getData(uuid, 'processed');
    await this.inner.putData(uuid, kind, json);
    let previous: unknown = null;
    let current: unknown;
    try {
      previous = previousJson === null ? null : (JSON.parse(previousJson) as unknown);
      current = JSON.parse(json) as unknown;
    } catch (error) {
      this.log.warn({ node: uuid, err: String(error) }, 'processed data is not JSON; drift/identity skipped');
      return;
    }
    for (const listener of this.listeners) {
      try {
        await listener(uuid, previous, current);
      } catch (error) {
        this.log.error({ node: uuid, err: String(error) }, 'processed-data listener failed');
      }
    }
  }

  getData(uuid: string, kind: DataKind): Promise<string | null> {
    return this.inner.getData(uuid, kind);
  }

  getPreviousData(uuid: string): Promise<string | null> {
    return this.inner.getPreviousData(uuid);
  }

  deleteData(uuid: string): Promise<void> {
    return this.inner.deleteData(uuid);
  }

  putRamdiskLogs(directory: string, filename: string, content: Buffer): Promise<string> {
    return this.inner.putRamdiskLogs(directory, filename, content);
  }
}

/** Listener recording `node.drift` when a re-introspection found different hardware. */
export function driftRecorder(events: EventSink): ProcessedListener {
  return (uuid, previous, current) => {
    if (previous === null) return;
    const changes = inventoryDrift(previous, current);
    if (changes.length === 0) return;
    events.emit({
      type: 'node.drift',
      node: uuid,
      level: 'warn',
      message: driftMessage(changes),
      data: { changes },
    });
  };
}
