// Fuzzing support shared by test/unit/fuzz and test/integration/fuzz: a seeded PRNG, byte and
// JSON mutators, and a bounded loop that counts inputs, times each one and names the seed that
// replays a failure (FUZZ_SEED, FUZZ_ITERATIONS, FUZZ_SECONDS, FUZZ_INPUT_MS, FUZZ_REPORT).
import { appendFileSync } from 'node:fs';

/** mulberry32: tiny, fast, good enough to drive mutations; one 32-bit state word. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform uint32. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let x = this.state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return (x ^ (x >>> 14)) >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.next() / 4294967296) * n);
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
  /** A size skewed towards small values, sometimes up to `max`. */
  size(max: number): number {
    return this.chance(0.8) ? this.int(Math.min(max, 16) + 1) : this.int(max + 1);
  }
}

/** Per-input seed: a failing input replays alone with FUZZ_SEED=<base+i> FUZZ_ITERATIONS=1. */
function inputSeed(base: number, i: number): number {
  let x = (base + i) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

// ------------------------------------------------------------------------------ byte mutators

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x10, 0x20, 0x40];

/**
 * Where the type-length-value records of a format start, so a mutator can corrupt a length byte
 * (DHCP options from 240, 1-byte code + 1-byte length; IPMI/RMCP has 2-byte LE lengths).
 */
export interface TlvLayout {
  start: number;
  /** Walk the records and return the offsets of their length fields. */
  lengthOffsets(buf: Buffer): number[];
}

/** DHCP-style options area (RFC 2132 §2): code, len, value; PAD (0) and END (255) have no length. */
export function dhcpOptionLayout(start = 240): TlvLayout {
  return {
    start,
    lengthOffsets(buf) {
      const out: number[] = [];
      let i = start;
      while (i + 1 < buf.length) {
        const code = buf[i]!;
        if (code === 0) {
          i += 1;
          continue;
        }
        if (code === 255) break;
        out.push(i + 1);
        i += 2 + buf[i + 1]!;
      }
      return out;
    },
  };
}

/** Fixed offsets of length fields (a header's length word, e.g. RMCP+ payload length at 14). */
export function fixedLengthLayout(offsets: number[]): TlvLayout {
  return { start: 0, lengthOffsets: (buf) => offsets.filter((o) => o < buf.length) };
}

export function randomBuffer(rng: Rng, max: number): Buffer {
  return rng.bytes(rng.size(max));
}

/** Apply 1–4 random byte-level mutations to a copy of `input`. */
export function mutateBytes(
  rng: Rng,
  input: Buffer,
  corpus: readonly Buffer[] = [],
  layout?: TlvLayout,
): Buffer {
  let buf = Buffer.from(input);
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(Math.max(1, buf.length));
    switch (rng.int(layout ? 11 : 10)) {
      case 0: // bit flip
        if (buf.length) buf[at] = buf[at]! ^ (1 << rng.int(8));
        break;
      case 1: // random byte
        if (buf.length) buf[at] = rng.next() & 0xff;
        break;
      case 2: // boundary value
        if (buf.length) buf[at] = rng.pick(INTERESTING);
        break;
      case 3: // insert bytes
        buf = Buffer.concat([buf.subarray(0, at), rng.bytes(1 + rng.int(8)), buf.subarray(at)]);
        break;
      case 4: // delete bytes
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1 + rng.int(8))]);
        break;
      case 5: // truncate
        buf = buf.subarray(0, at);
        break;
      case 6: // extend with junk
        buf = Buffer.concat([buf, rng.bytes(1 + rng.int(32))]);
        break;
      case 7: {
        // splice: head of this one, tail of another corpus item
        if (corpus.length === 0) break;
        const other = rng.pick(corpus);
        buf = Buffer.concat([buf.subarray(0, at), other.subarray(rng.int(Math.max(1, other.length)))]);
        break;
      }
      case 8: {
        // duplicate a chunk (repeated options, RFC 3396 concatenation paths)
        const len = 1 + rng.int(16);
        buf = Buffer.concat([buf.subarray(0, at + len), buf.subarray(at, at + len), buf.subarray(at + len)]);
        break;
      }
      case 9: // 16-bit boundary word (length/block/sequence fields)
        if (buf.length >= 2)
          buf.writeUInt16BE(rng.pick([0, 1, 0x7fff, 0x8000, 0xfffe, 0xffff]), at % (buf.length - 1));
        break;
      case 10: {
        // length-field corruption of one TLV record
        const offsets = layout!.lengthOffsets(buf);
        if (offsets.length === 0) break;
        const o = rng.pick(offsets);
        buf[o] = rng.pick([0, 1, buf[o]! + 1, buf[o]! - 1, 0xff, rng.next()]) & 0xff;
        break;
      }
    }
  }
  return buf;
}

// ------------------------------------------------------------------------------ JSON mutators

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const WEIRD_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\u202e\u0627\ud83d\ude00',
  '\ud800', // lone surrogate
  '%s%n{0}{data}{data[x]}',
  '{',
  '}{',
  '../../../etc/passwd',
  'null',
  'true',
  '1e309',
  '-0',
  '0x10',
  'NaN',
  '52:54:00:12:34:56',
  '01-52-54-00-12-34-56',
  '198.18.0.1',
  '::',
  'data://inventory.interfaces[*].mac_address',
  'node://driver_info.ipmi_password',
  '$.inventory..name',
  '/driver_info/ipmi_password',
  'a'.repeat(300),
];
const WEIRD_NUMBERS = [0, -1, 1, 0.5, -0.0001, 2 ** 31, 2 ** 32, 2 ** 53 + 1, -(2 ** 63), 1e308, 5e-324];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

export function randomString(rng: Rng): string {
  if (rng.chance(0.5)) return rng.pick(WEIRD_STRINGS);
  const n = rng.size(40);
  let s = '';
  for (let i = 0; i < n; i++) {
    s += rng.chance(0.8) ? String.fromCharCode(0x20 + rng.int(95)) : String.fromCharCode(rng.int(0x10000));
  }
  return s;
}

/** A random JSON value of bounded depth. */
export function randomJson(rng: Rng, depth = 4): Json {
  const kind = rng.int(depth > 0 ? 7 : 5);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.chance(0.5) ? rng.pick(WEIRD_NUMBERS) : rng.int(100000) - 500;
    case 3:
    case 4:
      return randomString(rng);
    case 5:
      return Array.from({ length: rng.size(6) }, () => randomJson(rng, depth - 1));
    default: {
      const out: { [key: string]: Json } = {};
      for (let i = rng.size(6); i > 0; i--) {
        out[rng.chance(0.2) ? rng.pick(PROTO_KEYS) : randomString(rng)] = randomJson(rng, depth - 1);
      }
      return out;
    }
  }
}

/** `depth` levels of nesting around `leaf`, built iteratively (a recursive builder would overflow). */
export function deepNest(depth: number, kind: 'array' | 'object', leaf: Json = 1): Json {
  let v: Json = leaf;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

/** Deep nesting as JSON text without building the value (cheap even at 100k levels). */
export function deepNestText(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? '['.repeat(depth) + '1' + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Paths to every container and leaf, for choosing a mutation point (bounded walk). */
function paths(root: Json, limit = 5000): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [[]];
  const stack: Array<[Json, Array<string | number>]> = [[root, []]];
  while (stack.length && out.length < limit) {
    const [v, p] = stack.pop()!;
    if (p.length > 32) continue; // don't walk into 10k-level nests: their paths cost O(depth²)
    if (Array.isArray(v))
      v.slice(0, 200).forEach((c, i) => (out.push([...p, i]), stack.push([c, [...p, i]])));
    else if (v !== null && typeof v === 'object') {
      for (const [k, c] of Object.entries(v).slice(0, 200)) {
        out.push([...p, k]);
        stack.push([c, [...p, k]]);
      }
    }
  }
  return out;
}

function getAt(root: Json, path: Array<string | number>): Json {
  let v: Json = root;
  for (const k of path) v = (v as Record<string | number, Json>)[k] as Json;
  return v;
}

/** One value replaced by a mutated one: the core of the JSON-structure mutators. */
function mutateValue(rng: Rng, v: Json, corpus: readonly Json[]): Json {
  switch (rng.int(16)) {
    case 0:
      return null;
    case 1: // number ↔ string, bool → string (containers: String() would recurse through them)
      if (typeof v === 'number') return String(v);
      if (typeof v === 'string') return v === '' ? 0 : Number(v) || v.length;
      return typeof v === 'object' && v !== null ? (Array.isArray(v) ? 'list' : 'dict') : String(v);
    case 2: // wrong container type
      return Array.isArray(v) ? Object.fromEntries(v.map((x, i) => [String(i), x])) : [v];
    case 3:
      return typeof v === 'object' && v !== null ? JSON.stringify(v) : { value: v };
    case 4:
      return randomJson(rng, 3);
    case 5:
      return randomString(rng);
    case 6:
      return rng.pick(WEIRD_NUMBERS);
    case 7: // deep nesting, up to 10k levels (around the API's 1,000-level bound too)
      return deepNest(rng.pick([10, 100, 990, 1001, 10_000]), rng.chance(0.5) ? 'array' : 'object', v);
    case 8: {
      // Huge array: of scalars, or of separate copies of this value when it is small (copies of a
      // big subtree would make the fuzzer, not the target, the bottleneck; shared references would
      // let a later mutation grow all of them at once).
      if (toJsonText(v).length <= 256 && typeof v === 'object' && v !== null && rng.chance(0.5)) {
        return Array.from({ length: rng.pick([1000, 10_000]) }, () => structuredClone(v));
      }
      return new Array<Json>(rng.pick([1000, 10_000, 100_000])).fill(rng.pick([0, 'x', null, true]));
    }
    case 9: // huge string
      return 'x'.repeat(rng.pick([1000, 100_000, 1_000_000]));
    case 10: {
      // prototype keys on this object
      const out: { [key: string]: Json } =
        v !== null && typeof v === 'object' && !Array.isArray(v) ? { ...v } : { value: v };
      // defineProperty: a literal `__proto__` assignment would set the prototype, not a key.
      Object.defineProperty(out, rng.pick(PROTO_KEYS), {
        value: randomJson(rng, 2),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return out;
    }
    case 11: // a value from elsewhere in the corpus
      return corpus.length ? structuredClone(rng.pick(corpus)) : v;
    case 12: // empty container of the same kind
      return Array.isArray(v) ? [] : typeof v === 'object' && v !== null ? {} : '';
    case 13: // drop array items or object keys
      if (Array.isArray(v)) return v.filter(() => rng.chance(0.5));
      if (v !== null && typeof v === 'object')
        return Object.fromEntries(Object.entries(v).filter(() => rng.chance(0.5)));
      return v;
    case 14: // boolean-looking and numeric-looking strings
      return rng.pick(['true', 'false', 'True', 'yes', '1', '0', '1.5', '-1', ' 42 ']);
    default:
      return typeof v === 'number' ? -v : typeof v === 'boolean' ? !v : v;
  }
}

/** A mutated deep copy of `input`: 1–3 values anywhere in the tree replaced. */
export function mutateJson(rng: Rng, input: Json, corpus: readonly Json[] = []): Json {
  let root = structuredClone(input);
  for (let r = 1 + rng.int(3); r > 0; r--) {
    const all = paths(root);
    const path = rng.pick(all);
    if (path.length === 0) {
      root = mutateValue(rng, root, corpus);
      continue;
    }
    const parent = getAt(root, path.slice(0, -1)) as Record<string | number, Json>;
    const key = path[path.length - 1]!;
    if (rng.chance(0.1) && !Array.isArray(parent)) delete parent[key];
    else parent[key] = mutateValue(rng, parent[key] as Json, corpus);
  }
  return root;
}

/** Text-level damage to a JSON document: truncation, stray bytes, duplicate keys, bad escapes. */
export function mutateJsonText(rng: Rng, text: string): string {
  const at = rng.int(text.length + 1);
  switch (rng.int(7)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return (
        text.slice(0, at) +
        rng.pick(['\\', '"', '\u0000', '\\u12', ',', '}', ']', ':', 'NaN', '\ufeff']) +
        text.slice(at)
      );
    case 2:
      return text.replace(/^\{/, '{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},');
    case 3:
      return text.replace(/^\{/, '{"inventory":1,"inventory":{"interfaces":"x"},');
    case 4:
      return `${text}${text}`;
    case 5:
      return deepNestText(rng.pick([1000, 10_000, 100_000]), rng.chance(0.5) ? 'array' : 'object');
    default:
      return rng.chance(0.5)
        ? ''
        : rng.pick(['null', '[]', '"x"', '1', 'true', '{}', '{"a":}', '\u00ff\u00fe']);
  }
}

/** JSON.stringify that tolerates deep values (falls back to a marker on stack overflow). */
export function toJsonText(value: Json): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return '[]';
  }
}

// ------------------------------------------------------------------------------ the fuzz loop

export interface FuzzBudget {
  seed: number;
  seconds: number;
  iterations: number;
  /** Inputs run even past `seconds` (default 100), so that what a target asserts about its coverage (e.g. some
   *  re-signed packets got through) does not depend on how loaded the machine is. */
  minIterations: number;
  /** An input slower than this is a hang (a failure), ms. */
  inputMs: number;
}

/** Budget from FUZZ_SEED / FUZZ_SECONDS / FUZZ_ITERATIONS / FUZZ_INPUT_MS, else the defaults. */
export function fuzzBudget(defaults: {
  seconds: number;
  iterations: number;
  minIterations?: number;
  inputMs?: number;
}): FuzzBudget {
  const num = (name: string): number | undefined => {
    const v = process.env[name];
    return v === undefined || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);
  };
  const seconds = num('FUZZ_SECONDS');
  const iterations = num('FUZZ_ITERATIONS');
  const count = iterations ?? (seconds !== undefined ? Infinity : defaults.iterations);
  return {
    seed: (num('FUZZ_SEED') ?? Math.floor(Math.random() * 2 ** 31)) >>> 0,
    // A long run (FUZZ_SECONDS) is bounded by time only; FUZZ_ITERATIONS alone by count only.
    seconds: seconds ?? (iterations !== undefined ? Infinity : defaults.seconds),
    iterations: count,
    minIterations: Math.min(count, defaults.minIterations ?? 100),
    inputMs: num('FUZZ_INPUT_MS') ?? defaults.inputMs ?? 2000,
  };
}

export interface FuzzStats {
  target: string;
  seed: number;
  /** Runs of `one` (one input, or one sequence of inputs for stateful engines). */
  cases: number;
  inputs: number;
  rejected: number;
  accepted: number;
  ms: number;
  slowestMs: number;
}

/**
 * What one case did: one input rejected (a decode/validation failure, counted) or accepted, or for
 * a sequence the number of inputs it fed and how many of them were rejected.
 */
export type Verdict = 'rejected' | 'accepted' | { inputs: number; rejected: number };

export interface Logger {
  log(...values: unknown[]): void;
}

export class FuzzFailure extends Error {}

/** A property check inside an input: throws so that fuzzLoop reports the replay seed. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new FuzzFailure(message);
}

/**
 * Runs `one` on fresh per-input PRNGs until the budget is spent. A throw (or an input over the time
 * bound) stops the run with a message naming the seed that replays that input alone.
 */
export async function fuzzLoop(
  t: Logger,
  target: string,
  budget: FuzzBudget,
  one: (rng: Rng, i: number) => Verdict | Promise<Verdict>,
): Promise<FuzzStats> {
  const started = Date.now();
  const deadline = started + budget.seconds * 1000;
  const stats: FuzzStats = {
    target,
    seed: budget.seed,
    cases: 0,
    inputs: 0,
    rejected: 0,
    accepted: 0,
    ms: 0,
    slowestMs: 0,
  };
  for (let i = 0; i < budget.iterations && (i < budget.minIterations || Date.now() < deadline); i++) {
    const rng = new Rng(inputSeed(budget.seed, i));
    const replay = `FUZZ_SEED=${(budget.seed + i) >>> 0} FUZZ_ITERATIONS=1 (run: FUZZ_SEED=${budget.seed}, input #${i})`;
    const t0 = performance.now();
    let verdict: Verdict;
    try {
      verdict = await one(rng, i);
    } catch (error) {
      const e = error as Error;
      throw new FuzzFailure(
        `${target}: input threw ${e.name}: ${e.message}\nreplay: ${replay}\n${e.stack ?? ''}`,
      );
    }
    const took = performance.now() - t0;
    // The time bound is per case; a sequence of n inputs gets n times the bound.
    const allowed = budget.inputMs * (typeof verdict === 'string' ? 1 : Math.max(1, verdict.inputs));
    if (took > stats.slowestMs) stats.slowestMs = took;
    if (took > allowed) {
      throw new FuzzFailure(
        `${target}: one case took ${took.toFixed(0)} ms > ${allowed} ms\nreplay: ${replay}`,
      );
    }
    stats.cases += 1;
    if (typeof verdict === 'string') {
      stats.inputs += 1;
      stats[verdict] += 1;
    } else {
      stats.inputs += verdict.inputs;
      stats.rejected += verdict.rejected;
      stats.accepted += verdict.inputs - verdict.rejected;
    }
  }
  stats.ms = Date.now() - started;
  t.log(
    `${target}: ${stats.inputs} inputs in ${stats.cases} cases (${stats.rejected} rejected, ` +
      `${stats.accepted} accepted) in ${stats.ms} ms, slowest ${stats.slowestMs.toFixed(1)} ms, seed ${stats.seed} (FUZZ_SEED to replay)`,
  );
  // bench/fuzz-run.sh collects one JSON line per target.
  if (process.env.FUZZ_REPORT) appendFileSync(process.env.FUZZ_REPORT, `${JSON.stringify(stats)}\n`);
  return stats;
}
