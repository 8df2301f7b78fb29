// One-time callback tokens (ADR 0008): minted when a node's boot config is rendered, carried on the
// ramdisk's kernel command line, required on /v1/continue. Only SHA-256 digests are persisted,
// inside the introspection record they belong to, so a token dies with its introspection.
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';
import { AppError } from './errors.js';
import type { EventSink } from './events.js';
import type { IntrospectionRecord } from './introspection-record.js';
import type { LogLike } from './log.js';
import type { StateStore } from './ports.js';

export type CallbackAuthMode = 'token' | 'token_or_discovery' | 'none';

export interface CallbackTokenSettings {
  mode: CallbackAuthMode;
  /** Introspection timeout in seconds (0 = none): a token expires with its introspection window. */
  timeout: number;
  /** Tokenless discovery callbacks accepted per minute (token_or_discovery). */
  discoveryRatePerMinute: number;
}

export interface CallbackTokenDeps {
  store: StateStore;
  clock: Clock;
  events: EventSink;
  log: LogLike;
  /** Replaced as a whole by configure() (reload). */
  settings: CallbackTokenSettings;
  /** Injected for tests; 24 random bytes by default. */
  random?: () => Buffer;
}

/** What a callback is allowed to do, decided before any processing. */
export type CallbackGrant =
  | { kind: 'open' }
  | { kind: 'token'; digest: string; candidates: Array<{ node: string; startedAt: string }> }
  | { kind: 'discovery' };

/** Upper bound of live tokens per introspection: each re-render (a PXE retry) adds one. */
const MAX_TOKENS_PER_RUN = 8;
const ACCEPTING_STATES = ['starting', 'waiting'];

function digest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Whether the record holds this digest. Plain string equality is enough: what is compared is the
 * SHA-256 of the caller's own guess, so a timing difference tells at most how much of that digest
 * matches, never the token (a preimage). timingSafeEqual over hex copies cost ~40× more per stored
 * digest, and precheck scans every record on each callback.
 */
function holds(record: IntrospectionRecord, digestHex: string): boolean {
  return Array.isArray(record.callback_tokens) && record.callback_tokens.includes(digestHex);
}

function storedDigests(record: IntrospectionRecord): string[] {
  const value = record.callback_tokens;
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export class CallbackTokens {
  private bucket: number;
  private bucketAt: number;

  constructor(private readonly deps: CallbackTokenDeps) {
    this.bucket = deps.settings.discoveryRatePerMinute;
    this.bucketAt = deps.clock.now();
  }

  get mode(): CallbackAuthMode {
    return this.deps.settings.mode;
  }

  /** Live reconfiguration (SIGHUP): tokens already minted stay valid in every mode but none. */
  configure(settings: CallbackTokenSettings): void {
    this.deps.settings = settings;
    this.bucket = Math.min(this.bucket, settings.discoveryRatePerMinute);
  }

  /**
   * A fresh token for the node's current introspection, or undefined when tokens are off or the
   * node is not waiting for its ramdisk (nothing to authorise). Earlier tokens of the same run stay
   * valid (firmware may fetch its config more than once) up to a small cap.
   */
  mint(nodeUuid: string, mac?: string): string | undefined {
    if (this.deps.settings.mode === 'none') return undefined;
    const record = this.current(nodeUuid);
    if (!record || record.finished_at !== null || !ACCEPTING_STATES.includes(record.state)) return undefined;
    const token = (this.deps.random ?? (() => randomBytes(24)))().toString('base64url');
    const digests = [...storedDigests(record), digest(token)].slice(-MAX_TOKENS_PER_RUN);
    record.callback_tokens = digests;
    this.deps.events.emit({
      type: 'callback.token_minted',
      node: nodeUuid,
      ...(mac ? { mac } : {}),
      message: `one-time callback token issued for this introspection (${digests.length} live)`,
    });
    // Durable: a restart between the render and the callback must not orphan the ramdisk.
    this.deps.store.changed({ durable: true }).catch((error: unknown) => {
      this.deps.log.error({ err: String(error) }, 'could not persist a callback token');
    });
    return token;
  }

  /**
   * A token for a MAC no node owns, rendered while nodes enrolled by BMC address only (no known
   * MAC) are waiting: the boot config cannot tell which of them is booting, so the token is valid
   * for any of them until one uses it (then it is removed from the others).
   */
  mintForMacless(mac?: string): string | undefined {
    if (this.deps.settings.mode === 'none') return undefined;
    const waiting = this.deps.store.doc.introspections.filter(
      (r) => r.finished_at === null && ACCEPTING_STATES.includes(r.state) && r.attributes.mac.length === 0,
    );
    if (waiting.length === 0) return undefined;
    const token = (this.deps.random ?? (() => randomBytes(24)))().toString('base64url');
    const d = digest(token);
    for (const record of waiting) {
      record.callback_tokens = [...storedDigests(record), d].slice(-MAX_TOKENS_PER_RUN);
    }
    this.deps.events.emit({
      type: 'callback.token_minted',
      ...(mac ? { mac } : {}),
      message: `one-time callback token issued for an unknown MAC while ${waiting.length} node(s) with no known MAC are under introspection`,
      data: { nodes: waiting.map((r) => r.uuid) },
    });
    this.deps.store.changed({ durable: true }).catch((error: unknown) => {
      this.deps.log.error({ err: String(error) }, 'could not persist a callback token');
    });
    return token;
  }

  /** First gate, before any hook runs: is this credential acceptable at all? */
  precheck(token: string | undefined, context: { mac?: string } = {}): CallbackGrant {
    const mode = this.deps.settings.mode;
    if (mode === 'none') return { kind: 'open' };
    if (token === undefined || token === '') {
      if (mode === 'token') {
        throw this.refuse(
          'ERR_CALLBACK_TOKEN_MISSING',
          'Callback token required: boot the node from a config rendered by inspectord ' +
            '(its kernel command line carries inspectord-token=…), or set [processing] callback_auth = none ' +
            'when ramdisks boot from elsewhere',
          context,
        );
      }
      if (!this.takeDiscoverySlot()) {
        throw this.refuse(
          'ERR_CALLBACK_RATE_LIMITED',
          `Discovery callbacks without a token are limited to ${this.deps.settings.discoveryRatePerMinute}/min; retry later`,
          context,
        );
      }
      return { kind: 'discovery' };
    }
    const wanted = digest(token);
    const holders = this.deps.store.doc.introspections.filter((r) => holds(r, wanted));
    const timeoutMs = this.deps.settings.timeout * 1000;
    const open = (r: IntrospectionRecord): boolean =>
      r.finished_at === null &&
      ACCEPTING_STATES.includes(r.state) &&
      !(timeoutMs > 0 && Date.parse(`${r.started_at}Z`) + timeoutMs < this.deps.clock.now());
    const usable = holders.filter(open);
    if (usable.length > 0) {
      return {
        kind: 'token',
        digest: wanted,
        candidates: usable.map((r) => ({ node: r.uuid, startedAt: r.started_at })),
      };
    }
    const record = holders[0];
    if (!record) {
      throw this.refuse(
        'ERR_CALLBACK_TOKEN_INVALID',
        'Callback token refused: unknown, or superseded by a newer introspection of its node',
        context,
      );
    }
    const node = record.uuid;
    if (record.finished_at !== null || !ACCEPTING_STATES.includes(record.state)) {
      throw this.refuse(
        'ERR_CALLBACK_TOKEN_INVALID',
        `Callback token refused: already used (introspection of node ${node} is ${record.finished_at !== null ? 'finished' : record.state})`,
        { ...context, node },
      );
    }
    throw this.refuse(
      'ERR_CALLBACK_TOKEN_INVALID',
      `Callback token refused: expired with the introspection window of node ${node}`,
      { ...context, node },
    );
  }

  /**
   * Second gate, after lookup: the data must belong to the token's node. `uuid` is the node the
   * data looked up to, or null when it matched nothing and would be enrolled by discovery.
   */
  authorize(grant: CallbackGrant, uuid: string | null, context: { mac?: string } = {}): void {
    if (grant.kind === 'open') return;
    if (grant.kind === 'discovery') {
      if (uuid === null) return;
      throw this.refuse(
        'ERR_CALLBACK_TOKEN_MISSING',
        `Callback token required: node ${uuid} is under introspection and only its ramdisk's token is accepted`,
        { ...context, node: uuid },
      );
    }
    const owners = grant.candidates.map((c) => c.node).join(', ');
    const candidate = grant.candidates.find((c) => c.node === uuid);
    if (uuid === null || !candidate) {
      throw this.refuse(
        'ERR_CALLBACK_TOKEN_INVALID',
        `Callback token refused: it belongs to node ${owners}, but the data is from ${uuid === null ? 'an unknown machine' : `node ${uuid}`}`,
        { ...context, node: grant.candidates[0]!.node },
      );
    }
    const record = this.current(uuid);
    if (!record || record.started_at !== candidate.startedAt) {
      throw this.refuse(
        'ERR_CALLBACK_TOKEN_INVALID',
        `Callback token refused: superseded by a newer introspection of node ${uuid}`,
        { ...context, node: uuid },
      );
    }
    // Single use across every node it was issued for: the others lose it now.
    for (const other of this.deps.store.doc.introspections) {
      if (other.uuid === uuid || !holds(other, grant.digest)) continue;
      other.callback_tokens = other.callback_tokens!.filter((d) => d !== grant.digest);
    }
  }

  private current(nodeUuid: string): IntrospectionRecord | undefined {
    return this.deps.store.doc.introspections.find((r) => r.uuid === nodeUuid);
  }

  private takeDiscoverySlot(): boolean {
    const rate = this.deps.settings.discoveryRatePerMinute;
    if (rate <= 0) return false;
    const now = this.deps.clock.now();
    this.bucket = Math.min(rate, this.bucket + ((now - this.bucketAt) / 60_000) * rate);
    this.bucketAt = now;
    if (this.bucket < 1) return false;
    this.bucket -= 1;
    return true;
  }

  private refuse(
    code: 'ERR_CALLBACK_TOKEN_MISSING' | 'ERR_CALLBACK_TOKEN_INVALID' | 'ERR_CALLBACK_RATE_LIMITED',
    message: string,
    context: { mac?: string; node?: string },
  ): AppError {
    this.deps.events.emit({
      type: 'callback.refused',
      level: 'warn',
      message,
      data: { code },
      ...(context.mac ? { mac: context.mac } : {}),
      ...(context.node ? { node: context.node } : {}),
    });
    return new AppError(code, message);
  }
}
