// In-memory fakes of the store ports for unit tests (no disk).
import { emptyStateDocument, type StateDocument } from '../../src/core/introspection-record.js';
import type { BlobStore, DataKind, EventQuery, StateStore } from '../../src/core/ports.js';
import type { EventInput, EventRecord, EventSink } from '../../src/core/events.js';

export class MemoryStateStore implements StateStore {
  doc: StateDocument = emptyStateDocument(new Date().toISOString());
  writes = 0;
  durableWrites = 0;
  async changed(options: { durable?: boolean } = {}): Promise<void> {
    this.writes += 1;
    if (options.durable) this.durableWrites += 1;
  }
  async flush(): Promise<void> {}
}

export class MemoryBlobStore implements BlobStore {
  data = new Map<string, string>();
  logs = new Map<string, Buffer>();
  async putData(uuid: string, kind: DataKind, json: string): Promise<void> {
    if (kind === 'processed' && this.data.has(`${uuid}/processed`)) {
      this.data.set(`${uuid}/prev`, this.data.get(`${uuid}/processed`)!);
    }
    this.data.set(`${uuid}/${kind}`, json);
  }
  async getData(uuid: string, kind: DataKind): Promise<string | null> {
    return this.data.get(`${uuid}/${kind}`) ?? null;
  }
  async getPreviousData(uuid: string): Promise<string | null> {
    return this.data.get(`${uuid}/prev`) ?? null;
  }
  async deleteData(uuid: string): Promise<void> {
    for (const key of [...this.data.keys()]) if (key.startsWith(`${uuid}/`)) this.data.delete(key);
  }
  async putRamdiskLogs(directory: string, filename: string, content: Buffer): Promise<string> {
    const path = `${directory}/${filename}`;
    this.logs.set(path, content);
    return path;
  }
}

export class MemoryEventLog implements EventSink {
  events: EventRecord[] = [];
  private listeners = new Set<(e: EventRecord) => void>();
  emit(event: EventInput): void {
    const record: EventRecord = {
      ...event,
      level: event.level ?? 'info',
      seq: this.events.length + 1,
      ts: new Date().toISOString(),
    };
    this.events.push(record);
    for (const l of this.listeners) l(record);
  }
  query(q: EventQuery): EventRecord[] {
    return this.events
      .filter(
        (e) =>
          (q.mac === undefined || e.mac === q.mac) &&
          (q.node === undefined || e.node === q.node) &&
          (q.after === undefined || e.seq > q.after),
      )
      .slice(0, q.limit ?? Infinity);
  }
  follow(_q: EventQuery, listener: (e: EventRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
