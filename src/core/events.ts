// Typed domain events: the per-MAC / per-node boot timeline (DHCP decisions with reasons, filter
// verdicts, TFTP/HTTP transfers, callbacks, hook results, IPMI actions). Persisted by store/.

/** Event kinds, `<area>.<what>`; each subsystem owns its area prefix. */
export type EventArea =
  | 'dhcp'
  | 'tftp'
  | 'http'
  | 'filter'
  | 'ipmi'
  | 'introspection'
  | 'callback'
  | 'hook'
  | 'rule'
  | 'node'
  | 'drift'
  | 'token'
  | 'daemon';

export interface EventInput {
  /** `<area>.<what>`, e.g. `dhcp.offer`, `dhcp.ignored`, `tftp.transfer`, `ipmi.power`. */
  type: `${EventArea}.${string}`;
  /** Client MAC in lowercase colon form when the event concerns one machine's boot. */
  mac?: string;
  /** Node UUID when known. */
  node?: string;
  /** Severity for display: normal facts are `info`, refusals/failures `warn`/`error`. */
  level?: 'debug' | 'info' | 'warn' | 'error';
  /** One line a human reads in the timeline, including the reason of a decision. */
  message: string;
  /** Structured details (never secrets). */
  data?: Record<string, unknown>;
}

export interface EventRecord extends EventInput {
  /** Monotonic sequence number assigned by the event log. */
  seq: number;
  /** ISO-8601 UTC timestamp with milliseconds. */
  ts: string;
  level: 'debug' | 'info' | 'warn' | 'error';
}

/** Where subsystems report facts. Must never throw and never block the caller. */
export interface EventSink {
  emit(event: EventInput): void;
}
