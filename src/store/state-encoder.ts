// Encodes the state document to exactly the bytes of JSON.stringify(doc), reusing the UTF-8
// encoding of records that cannot have changed since the last write: the frozen elements of the
// document's top-level lists (nodes and ports, which the repository replaces, never mutates).

const COMMA = Buffer.from(',');

/**
 * Per-record cache keyed by object identity. Only frozen records are cached: the repository
 * deep-freezes what it stores (core/node.ts frozenRecordCopy), so a frozen record's encoding is
 * final; everything else (introspection records, leases, rules … mutated in place) is encoded on
 * every write. A WeakMap lets replaced records and their encodings be collected.
 *
 * Why: the document is rewritten in full for every durable change (one per finishing
 * introspection); at 1,000 nodes JSON.stringify + UTF-8 encoding of ~1.2 MB was ~30 % of the
 * daemon's CPU per /v1/continue (docs/benchmarks.md § Callback throughput).
 */
export class StateEncoder {
  private cache = new WeakMap<object, Buffer>();
  /** Records encoded from scratch / reused by the last encode() (for tests and benches). */
  lastEncoded = 0;
  lastReused = 0;

  /** The document as one buffer (tests; the writer uses chunks()). */
  encode(doc: object): Buffer {
    return Buffer.concat(this.chunks(doc));
  }

  /**
   * The document as a list of buffers whose concatenation is JSON.stringify(doc): written with
   * one writev, without copying ~1 MB into a new buffer on every write.
   */
  chunks(doc: object): Buffer[] {
    this.lastEncoded = 0;
    this.lastReused = 0;
    const chunks: Buffer[] = [];
    let pending = '{';
    let first = true;
    for (const key of Object.keys(doc)) {
      const value = (doc as Record<string, unknown>)[key];
      if (!Array.isArray(value) || !value.some(isFrozenObject)) {
        const json = JSON.stringify(value);
        // JSON.stringify omits members whose value encodes to undefined (undefined, functions).
        if (json === undefined) continue;
        pending += `${first ? '' : ','}${JSON.stringify(key)}:${json}`;
        first = false;
        continue;
      }
      pending += `${first ? '' : ','}${JSON.stringify(key)}:[`;
      first = false;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (i > 0) pending += ',';
        if (isFrozenObject(item)) {
          let encoded = this.cache.get(item);
          if (encoded === undefined) {
            encoded = Buffer.from(JSON.stringify(item), 'utf8');
            this.cache.set(item, encoded);
            this.lastEncoded += 1;
          } else {
            this.lastReused += 1;
          }
          if (pending === ',') chunks.push(COMMA);
          else if (pending !== '') chunks.push(Buffer.from(pending, 'utf8'));
          chunks.push(encoded);
          pending = '';
        } else {
          // In an array, a value that encodes to undefined becomes null (ECMA-262 SerializeJSONArray).
          pending += JSON.stringify(item) ?? 'null';
        }
      }
      pending += ']';
    }
    pending += '}';
    chunks.push(Buffer.from(pending, 'utf8'));
    return chunks;
  }
}

function isFrozenObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && Object.isFrozen(value);
}
