// The "needs review" list: inventories whose identity points at two nodes, persisted in the state
// document (`review`, data in a blob) until an operator merges them into a node or discards them.
import { randomUUID } from 'node:crypto';
import { AppError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { IntrospectionData } from '../core/lookup.js';
import type { NodeRepository } from '../core/node-repository.js';
import type { BlobStore, Clock, StateStore } from '../core/ports.js';
import { ACTIVE_STATES } from '../core/states.js';
import { postedFacts } from './identity.js';

export type ReviewEntry = StateDocumentReview[number];
type StateDocumentReview = StateStore['doc']['review'];

export interface ReviewDeps {
  store: StateStore;
  nodes: NodeRepository;
  blobs: BlobStore;
  events: EventSink;
  clock: Clock;
}

/** Routes data to a chosen node and runs the normal callback flow (DiscoveryService + core). */
export interface ReviewProcessor {
  processOn(nodeUuid: string, data: IntrospectionData): Promise<{ uuid: string }>;
}

export type ResolveRequest = { node: string } | { action: 'discard' };

export type ResolveResult =
  { id: string; action: 'merged'; node: string } | { id: string; action: 'discarded' };

/** Parse the resolve body: {"node": uuid|name} or {"action": "discard"}, nothing else. */
export function parseResolveRequest(body: unknown): ResolveRequest {
  const b =
    body !== null && typeof body === 'object' && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : null;
  const keys = b ? Object.keys(b) : [];
  if (b && keys.length === 1 && typeof b.node === 'string' && b.node !== '') return { node: b.node };
  if (b && keys.length === 1 && b.action === 'discard') return { action: 'discard' };
  throw new AppError(
    'ERR_API_BAD_BODY',
    'resolve takes {"node": "<uuid or name>"} to merge into that node, or {"action": "discard"}',
  );
}

export class ReviewQueue {
  private processor: ReviewProcessor | null = null;

  constructor(private readonly deps: ReviewDeps) {}

  /** Set once wired (the processor needs the introspection service, which needs this queue's owner). */
  setProcessor(processor: ReviewProcessor | null): void {
    this.processor = processor;
  }

  list(): ReviewEntry[] {
    return this.deps.store.doc.review;
  }

  get(id: string): ReviewEntry {
    const entry = this.deps.store.doc.review.find((e) => e.id === id.toLowerCase());
    if (!entry) throw new AppError('ERR_REVIEW_NOT_FOUND', `Review entry ${id} was not found`);
    return entry;
  }

  /** The entry with its stored data. */
  async show(id: string): Promise<ReviewEntry & { data: unknown }> {
    const entry = this.get(id);
    const json = await this.deps.blobs.getData(entry.data_ref, 'unprocessed');
    return { ...entry, data: json === null ? null : (JSON.parse(json) as unknown) };
  }

  async add(reason: string, candidates: string[], data: IntrospectionData): Promise<ReviewEntry> {
    const id = randomUUID();
    // The blob store keys data by a UUID directory; the review id is one.
    await this.deps.blobs.putData(id, 'unprocessed', JSON.stringify(data));
    const entry: ReviewEntry = {
      id,
      created_at: new Date(this.deps.clock.now()).toISOString(),
      reason,
      candidates,
      data_ref: id,
    };
    this.deps.store.doc.review.push(entry);
    await this.deps.store.changed({ durable: true });
    const mac = postedFacts(data).macs[0];
    this.deps.events.emit({
      type: 'node.review',
      level: 'warn',
      ...(mac ? { mac } : {}),
      message: `inventory kept for review ${id}: ${reason}`,
      data: { id, candidates },
    });
    return entry;
  }

  /** Resolve with a body as the API receives it (see parseResolveRequest). */
  async resolve(id: string, body: unknown): Promise<ResolveResult> {
    const entry = this.get(id);
    const request = parseResolveRequest(body);
    if ('action' in request) {
      await this.remove(entry);
      this.deps.events.emit({
        type: 'node.review_discarded',
        message: `review ${entry.id} discarded by operator (${entry.reason})`,
        data: { id: entry.id },
      });
      return { id: entry.id, action: 'discarded' };
    }
    if (!this.processor) {
      throw new AppError(
        'ERR_REVIEW_UNAVAILABLE',
        'Merging a review entry needs [processing] node_not_found_hook = enroll; discard it instead',
      );
    }
    const node = this.deps.nodes.require(request.node);
    const json = await this.deps.blobs.getData(entry.data_ref, 'unprocessed');
    if (json === null)
      throw new AppError('ERR_REVIEW_NOT_FOUND', `The data of review entry ${id} is missing`);
    const data = JSON.parse(json) as IntrospectionData;
    // Lookup runs before our routing: an active introspection of another node holding one of
    // these MACs or BMC addresses would take the data. Refuse instead of processing it there.
    const facts = postedFacts(data);
    for (const record of this.deps.store.doc.introspections) {
      if (record.uuid === node.uuid || record.finished_at !== null || !ACTIVE_STATES.includes(record.state))
        continue;
      const shared = [
        ...record.attributes.mac.filter((m) => facts.macs.includes(m)),
        ...record.attributes.bmc_address.filter((b) => facts.bmcAddresses.includes(b)),
      ];
      if (shared.length > 0) {
        throw new AppError(
          'ERR_DISCOVERY_BUSY',
          `Node ${record.uuid} is under introspection with ${shared.join(', ')}; finish or abort it before merging review ${entry.id}`,
        );
      }
    }
    const result = await this.processor.processOn(node.uuid, data);
    await this.remove(entry);
    this.deps.events.emit({
      type: 'node.review_resolved',
      node: result.uuid,
      message: `review ${entry.id} merged into node ${result.uuid} by operator`,
      data: { id: entry.id },
    });
    return { id: entry.id, action: 'merged', node: result.uuid };
  }

  private async remove(entry: ReviewEntry): Promise<void> {
    this.deps.store.doc.review = this.deps.store.doc.review.filter((e) => e.id !== entry.id);
    await this.deps.store.changed({ durable: true });
    await this.deps.blobs.deleteData(entry.data_ref);
  }
}
