// Accumulates parsed LLDP fields: single-valued fields keep the first value seen (a repeated
// TLV does not override), list fields (VLANs, addresses, identities) append.
import type { LldpParseResult, LldpProcessed } from './types.js';

type ListKeys = {
  [K in keyof LldpProcessed]-?: NonNullable<LldpProcessed[K]> extends unknown[] ? K : never;
}[keyof LldpProcessed];
type Item<K extends ListKeys> = NonNullable<LldpProcessed[K]> extends Array<infer T> ? T : never;

export class LldpCollector {
  readonly processed: LldpProcessed = {};
  readonly warnings: string[] = [];
  chassisIdSubtype: number | undefined;
  portIdSubtype: number | undefined;

  set<K extends keyof LldpProcessed>(name: K, value: NonNullable<LldpProcessed[K]>): void {
    if (this.processed[name] === undefined) this.processed[name] = value;
  }

  append<K extends ListKeys>(name: K, value: Item<K>): void {
    const list = (this.processed[name] ?? []) as Array<Item<K>>;
    list.push(value);
    (this.processed as Record<string, unknown>)[name] = list;
  }

  result(): LldpParseResult {
    return {
      processed: this.processed,
      warnings: this.warnings,
      ...(this.chassisIdSubtype !== undefined ? { chassisIdSubtype: this.chassisIdSubtype } : {}),
      ...(this.portIdSubtype !== undefined ? { portIdSubtype: this.portIdSubtype } : {}),
    };
  }
}

/** A TLV handler: reads the TLV information string, fills the collector, or returns an error. */
export type TlvHandler = (info: Uint8Array, out: LldpCollector) => string | null;

export function u16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}

export function u32(b: Uint8Array, at: number): number {
  return (((b[at] ?? 0) << 24) | ((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0)) >>> 0;
}

export function exactLength(name: string, info: Uint8Array, n: number): string | null {
  return info.length === n ? null : `${name}: expected ${n} bytes, got ${info.length}`;
}
