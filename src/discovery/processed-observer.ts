// Follows every stored processed data (core's onProcessed) with the node's previous one, so drift
// reports and chassis identity follow every introspection and reapply. Only the previous data is
// read and parsed here: the current one arrives as the object core just stored. A listener failure
// is logged, never fails the introspection.
import type { EventSink } from '../core/events.js';
import type { LogLike } from '../core/log.js';
import type { BlobStore } from '../core/ports.js';
import { driftMessage, inventoryDrift } from './drift.js';

export type ProcessedListener = (uuid: string, previous: unknown, current: unknown) => Promise<void> | void;

export class ProcessedObserver {
  constructor(
    private readonly blobs: BlobStore,
    private readonly listeners: ProcessedListener[],
    private readonly log: LogLike,
  ) {}

  /** Wire as IntrospectionDeps.onProcessed: `current` was just stored, so the blob store's
   *  previous data is the one it replaced. */
  async processed(uuid: string, current: unknown): Promise<void> {
    let previous: unknown = null;
    const previousJson = await this.blobs.getPreviousData(uuid);
    try {
      previous = previousJson === null ? null : (JSON.parse(previousJson) as unknown);
    } catch (error) {
      this.log.warn(
        { node: uuid, err: String(error) },
        'previous processed data is not JSON; no drift report',
      );
    }
    for (const listener of this.listeners) {
      try {
        await listener(uuid, previous, current);
      } catch (error) {
        this.log.error({ node: uuid, err: String(error) }, 'processed-data listener failed');
      }
    }
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
