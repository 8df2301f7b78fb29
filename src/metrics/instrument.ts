// Decorators that measure the daemon's parts through their core interfaces (PowerControl, the
// rule runner, hooks, the event sink) without those parts knowing about metrics.
import type { Clock } from '../core/clock.js';
import type { EventInput, EventSink } from '../core/events.js';
import type { CredentialVerifier, RuleRunner } from '../core/introspection.js';
import { secondsSince, type Metrics } from '../core/metrics.js';
import type { PowerControl } from '../core/power.js';
import { STATES } from '../core/states.js';
import { outcomeOf, type InspectordMetrics } from './families.js';

async function measured<T>(
  families: InspectordMetrics,
  clock: Clock,
  operation: string,
  call: () => Promise<T>,
): Promise<T> {
  const started = clock.now();
  try {
    const result = await call();
    families.ipmiCalls.inc({ operation, outcome: 'ok' });
    return result;
  } catch (error) {
    families.ipmiCalls.inc({ operation, outcome: outcomeOf(error) });
    throw error;
  } finally {
    families.ipmiDuration.observe({ operation }, secondsSince(clock, started));
  }
}

/** Counts and times every BMC operation by outcome (`ok`, `ipmi_unreachable`, `ipmi_auth` …). */
export function instrumentPowerControl(
  power: PowerControl,
  families: InspectordMetrics,
  clock: Clock,
): PowerControl {
  return {
    validate: (target) => measured(families, clock, 'validate', () => power.validate(target)),
    getPowerState: (target) => measured(families, clock, 'power_state', () => power.getPowerState(target)),
    setPower: (target, action) => measured(families, clock, 'power', () => power.setPower(target, action)),
    setBootDevice: (target, device, options) =>
      measured(families, clock, 'boot_device', () => power.setBootDevice(target, device, options)),
  };
}

export function instrumentCredentialVerifier(
  verifier: CredentialVerifier,
  families: InspectordMetrics,
  clock: Clock,
): CredentialVerifier {
  return {
    verify: (target) => measured(families, clock, 'verify_credentials', () => verifier.verify(target)),
  };
}

export function instrumentRuleRunner(
  runner: RuleRunner,
  families: InspectordMetrics,
  clock: Clock,
): RuleRunner {
  return {
    async apply(uuid, data) {
      const started = clock.now();
      let outcome = 'error';
      try {
        const result = await runner.apply(uuid, data);
        outcome = result.failed === undefined ? 'ok' : 'failed';
        return result;
      } finally {
        families.ruleDuration.observe({ outcome }, secondsSince(clock, started));
      }
    },
  };
}

/** The structural shape of a processing hook (src/pipeline's ProcessingHook satisfies it). */
export interface TimedHook {
  readonly name: string;
  beforeProcessing?: (...args: never[]) => unknown;
  beforeUpdate?: (...args: never[]) => unknown;
}

/** A copy of `hook` whose two phases are timed; everything else (name, dependsOn …) is kept. */
export function instrumentHook<H extends TimedHook>(hook: H, families: InspectordMetrics, clock: Clock): H {
  const wrap = <F extends (...args: never[]) => unknown>(phase: string, fn: F): F =>
    (async (...args: Parameters<F>) => {
      const started = clock.now();
      let outcome = 'error';
      try {
        const result = await fn.apply(hook, args);
        outcome = 'ok';
        return result;
      } finally {
        families.hookDuration.observe({ hook: hook.name, phase, outcome }, secondsSince(clock, started));
      }
    }) as F;
  return {
    ...hook,
    ...(hook.beforeProcessing ? { beforeProcessing: wrap('before_processing', hook.beforeProcessing) } : {}),
    ...(hook.beforeUpdate ? { beforeUpdate: wrap('before_update', hook.beforeUpdate) } : {}),
  };
}

function numberIn(data: Record<string, unknown> | undefined, key: string): number | undefined {
  const value = data?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function stringIn(data: Record<string, unknown> | undefined, key: string): string {
  const value = data?.[key];
  return typeof value === 'string' && value !== '' ? value : 'unknown';
}

/** Metrics read off the timeline: the facts subsystems already report as events. */
export function observeEvent(event: EventInput, families: InspectordMetrics): void {
  const area = event.type.slice(0, event.type.indexOf('.'));
  families.events.inc({ area, level: event.level ?? 'info' });
  switch (event.type) {
    case 'tftp.transfer': {
      const ms = numberIn(event.data, 'ms');
      if (ms !== undefined)
        families.tftpDuration.observe({ outcome: stringIn(event.data, 'outcome') }, ms / 1000);
      break;
    }
    case 'http.fetch': {
      const outcome = stringIn(event.data, 'outcome');
      families.httpBootTransfers.inc({ outcome });
      families.httpBootBytes.inc({}, numberIn(event.data, 'bytes') ?? 0);
      const ms = numberIn(event.data, 'ms');
      if (ms !== undefined) families.httpBootDuration.observe({ outcome }, ms / 1000);
      break;
    }
    case 'filter.sync':
      families.filterSyncs.inc({ result: 'applied' });
      break;
    case 'filter.error':
      families.filterSyncs.inc({ result: 'error' });
      break;
  }
}

/** An EventSink that records and then counts; counting never throws into the emitter. */
export function tapEvents(sink: EventSink, families: InspectordMetrics): EventSink {
  return {
    emit(event) {
      sink.emit(event);
      try {
        observeEvent(event, families);
      } catch {
        // A metric must never break the emitter (EventSink contract: never throws).
      }
    },
  };
}

/** `inspectord_introspections{state}`: every state, zeros included, read from the store when scraped. */
export function collectIntrospectionStates(
  metrics: Metrics,
  records: () => Iterable<{ state: string }>,
): void {
  metrics.collect(
    {
      name: 'inspectord_introspections',
      help: 'Introspection records by state (starting, waiting, processing, finished, error, …).',
      labelNames: ['state'],
      type: 'gauge',
    },
    () => {
      const counts = new Map<string, number>(STATES.map((state) => [state, 0]));
      for (const record of records()) counts.set(record.state, (counts.get(record.state) ?? 0) + 1);
      return [...counts].map(([state, value]) => ({ labels: { state }, value }));
    },
  );
}
