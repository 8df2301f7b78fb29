// Instrumentation decorators: IPMI outcomes, hook/rule timing, metrics derived from events,
// introspections by state.
import test from 'ava';
import { PromMetrics } from '../../../src/metrics/registry.js';
import { defineInspectordMetrics } from '../../../src/metrics/families.js';
import {
  collectIntrospectionStates,
  instrumentHook,
  instrumentPowerControl,
  instrumentRuleRunner,
  tapEvents,
} from '../../../src/metrics/instrument.js';
import { AppError } from '../../../src/core/errors.js';
import type { EventInput } from '../../../src/core/events.js';
import type { PowerControl } from '../../../src/core/power.js';

function setup(): {
  m: PromMetrics;
  f: ReturnType<typeof defineInspectordMetrics>;
  clock: { now(): number; t: number };
} {
  const m = new PromMetrics();
  const clock = { t: 1000, now: () => clock.t };
  return { m, f: defineInspectordMetrics(m), clock };
}

const target = { address: '198.18.1.1', port: 623, username: 'u', password: 'p' };

test('IPMI calls are counted by operation and outcome (error code)', async (t) => {
  const { m, f, clock } = setup();
  const power: PowerControl = {
    validate: async () => undefined,
    getPowerState: async () => 'power on',
    setPower: async () => {
      throw new AppError('ERR_IPMI_UNREACHABLE');
    },
    setBootDevice: async () => undefined,
  };
  const wrapped = instrumentPowerControl(power, f, clock);
  await wrapped.validate(target);
  t.is(await wrapped.getPowerState(target), 'power on');
  await t.throwsAsync(wrapped.setPower(target, 'on'), { instanceOf: AppError });
  const text = await m.scrape();
  t.regex(text, /inspectord_ipmi_calls_total\{operation="validate",outcome="ok"\} 1/);
  t.regex(text, /inspectord_ipmi_calls_total\{operation="power",outcome="ipmi_unreachable"\} 1/);
  t.regex(text, /inspectord_ipmi_call_duration_seconds_count\{operation="power"\} 1/);
});

test('a hook keeps its name and fields and its phases are timed with their outcome', async (t) => {
  const { m, f, clock } = setup();
  const hook = {
    name: 'scheduler',
    dependsOn: ['root_disk_selection'],
    beforeUpdate: async (n: number) => {
      clock.t += 250;
      if (n < 0) throw new Error('bad');
      return n * 2;
    },
  };
  const timed = instrumentHook(hook, f, clock);
  t.is(timed.name, 'scheduler');
  t.deepEqual(timed.dependsOn, ['root_disk_selection']);
  t.false('beforeProcessing' in timed);
  t.is(await timed.beforeUpdate(2), 4);
  await t.throwsAsync(async () => timed.beforeUpdate(-1));
  const text = await m.scrape();
  t.regex(
    text,
    /inspectord_hook_duration_seconds_sum\{hook="scheduler",phase="before_update",outcome="ok"\} 0\.25/,
  );
  t.regex(
    text,
    /inspectord_hook_duration_seconds_count\{hook="scheduler",phase="before_update",outcome="error"\} 1/,
  );
});

test('rule runs are timed by outcome (ok, failed)', async (t) => {
  const { m, f, clock } = setup();
  let fail = false;
  const runner = instrumentRuleRunner({ apply: async () => (fail ? { failed: 'no' } : {}) }, f, clock);
  await runner.apply('u', {});
  fail = true;
  t.deepEqual(await runner.apply('u', {}), { failed: 'no' });
  const text = await m.scrape();
  t.regex(text, /inspectord_rules_duration_seconds_count\{outcome="ok"\} 1/);
  t.regex(text, /inspectord_rules_duration_seconds_count\{outcome="failed"\} 1/);
});

test('events are forwarded first and then counted by area and level', async (t) => {
  const { m, f } = setup();
  const seen: EventInput[] = [];
  const sink = tapEvents({ emit: (e) => seen.push(e) }, f);
  sink.emit({ type: 'callback.received', message: 'x' });
  sink.emit({ type: 'dhcp.ignored', level: 'warn', message: 'y' });
  t.is(seen.length, 2);
  const text = await m.scrape();
  t.regex(text, /inspectord_events_total\{area="callback",level="info"\} 1/);
  t.regex(text, /inspectord_events_total\{area="dhcp",level="warn"\} 1/);
});

test('TFTP, HTTP boot and filter events move their transfer and sync metrics', async (t) => {
  const { m, f } = setup();
  const sink = tapEvents({ emit: () => undefined }, f);
  sink.emit({ type: 'tftp.transfer', message: 't', data: { outcome: 'complete', ms: 1500, bytes: 10 } });
  sink.emit({ type: 'http.fetch', message: 'h', data: { outcome: 'complete', ms: 20, bytes: 4096 } });
  sink.emit({ type: 'filter.sync', message: 's' });
  sink.emit({ type: 'filter.error', message: 'e' });
  const text = await m.scrape();
  t.regex(text, /inspectord_tftp_transfer_duration_seconds_sum\{outcome="complete"\} 1\.5/);
  t.regex(text, /inspectord_http_boot_transfers_total\{outcome="complete"\} 1/);
  t.regex(text, /inspectord_http_boot_bytes_total 4096/);
  t.regex(text, /inspectord_filter_syncs_total\{result="applied"\} 1/);
  t.regex(text, /inspectord_filter_syncs_total\{result="error"\} 1/);
});

test('an event with odd data never throws out of the tapped sink', (t) => {
  const { f } = setup();
  const sink = tapEvents({ emit: () => undefined }, f);
  t.notThrows(() => sink.emit({ type: 'http.fetch', message: 'h', data: { bytes: -5, ms: 'x' } }));
});

test('introspections by state lists every state, zeros included', async (t) => {
  const { m } = setup();
  const records = [{ state: 'waiting' }, { state: 'waiting' }, { state: 'finished' }];
  collectIntrospectionStates(m, () => records);
  const text = await m.scrape();
  t.regex(text, /inspectord_introspections\{state="waiting"\} 2/);
  t.regex(text, /inspectord_introspections\{state="finished"\} 1/);
  t.regex(text, /inspectord_introspections\{state="error"\} 0/);
});
