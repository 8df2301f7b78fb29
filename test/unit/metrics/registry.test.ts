// PromMetrics: families register once by name, scrape-time readers, a failing reader, labels.
import test from 'ava';
import { PromMetrics } from '../../../src/metrics/registry.js';
import { defineInspectordMetrics, outcomeOf } from '../../../src/metrics/families.js';
import { noopMetrics } from '../../../src/core/metrics.js';

test('a counter is exported with its labels and help', async (t) => {
  const m = new PromMetrics();
  m.counter({ name: 'x_total', help: 'X things.', labelNames: ['kind'] }).inc({ kind: 'a' }, 2);
  const text = await m.scrape();
  t.regex(text, /# HELP x_total X things\./);
  t.regex(text, /# TYPE x_total counter/);
  t.regex(text, /x_total\{kind="a"\} 2/);
});

test('registering a name twice returns the same metric instead of throwing', async (t) => {
  const m = new PromMetrics();
  const spec = { name: 'twice_total', help: 'h' };
  m.counter(spec).inc();
  m.counter(spec).inc();
  t.regex(await m.scrape(), /twice_total 2/);
  t.notThrows(() => defineInspectordMetrics(m));
  t.notThrows(() => defineInspectordMetrics(m));
});

test('a histogram uses the given buckets', async (t) => {
  const m = new PromMetrics();
  m.histogram({ name: 'd_seconds', help: 'h', buckets: [0.1, 1] }).observe({}, 0.5);
  const text = await m.scrape();
  t.regex(text, /d_seconds_bucket\{le="0.1"\} 0/);
  t.regex(text, /d_seconds_bucket\{le="1"\} 1/);
  t.regex(text, /d_seconds_count 1/);
});

test('a collected counter mirrors the totals read at scrape time', async (t) => {
  const m = new PromMetrics();
  let stats = { DISCOVER: 3 };
  m.collect({ name: 'rx_total', help: 'h', labelNames: ['type'], type: 'counter' }, () =>
    Object.entries(stats).map(([type, value]) => ({ labels: { type }, value })),
  );
  t.regex(await m.scrape(), /rx_total\{type="DISCOVER"\} 3/);
  stats = { DISCOVER: 5 };
  const text = await m.scrape();
  t.regex(text, /rx_total\{type="DISCOVER"\} 5/);
  t.notRegex(text, /rx_total\{type="DISCOVER"\} 3/);
});

test('a collected gauge reports the current level', async (t) => {
  const m = new PromMetrics();
  let leases = 2;
  m.collect({ name: 'leases', help: 'h', type: 'gauge' }, () => [{ value: leases }]);
  t.regex(await m.scrape(), /\nleases 2/);
  leases = 0;
  t.regex(await m.scrape(), /\nleases 0/);
});

test('registering a reader again replaces the previous one', async (t) => {
  const m = new PromMetrics();
  m.collect({ name: 'g', help: 'h', type: 'gauge' }, () => [{ value: 1 }]);
  m.collect({ name: 'g', help: 'h', type: 'gauge' }, () => [{ value: 7 }]);
  t.regex(await m.scrape(), /\ng 7/);
});

test('a reader that throws empties its family only and is reported', async (t) => {
  const failures: string[] = [];
  const m = new PromMetrics({ onCollectError: (name) => failures.push(name) });
  m.collect({ name: 'broken', help: 'h', type: 'gauge' }, () => {
    throw new Error('boom');
  });
  m.counter({ name: 'fine_total', help: 'h' }).inc();
  const text = await m.scrape();
  t.regex(text, /fine_total 1/);
  t.notRegex(text, /\nbroken [1-9]/);
  t.deepEqual(failures, ['broken']);
});

test('process metrics include the event-loop lag', async (t) => {
  const m = new PromMetrics({ processMetrics: true });
  const text = await m.scrape();
  t.regex(text, /nodejs_eventloop_lag_seconds/);
  t.regex(text, /process_cpu_seconds_total/);
});

test('two registries do not share metrics', async (t) => {
  const a = new PromMetrics();
  const b = new PromMetrics();
  a.counter({ name: 'only_a_total', help: 'h' }).inc();
  t.notRegex(await b.scrape(), /only_a_total/);
});

test('the content type is the Prometheus text format', (t) => {
  t.regex(new PromMetrics().contentType, /^text\/plain; version=0\.0\.4/);
});

const outcomes: Array<[unknown, string]> = [
  [{ code: 'ERR_LOOKUP_NOT_FOUND' }, 'lookup_not_found'],
  [{ code: 'ERR_IPMI_UNREACHABLE' }, 'ipmi_unreachable'],
  [{ code: 'ENOENT' }, 'error'],
  [new Error('x'), 'error'],
  [null, 'error'],
];
for (const [error, outcome] of outcomes) {
  test(`outcomeOf(${JSON.stringify(error)}) is ${outcome}`, (t) => {
    t.is(outcomeOf(error), outcome);
  });
}

test('the no-op metrics accept every call', (t) => {
  t.notThrows(() => {
    const f = defineInspectordMetrics(noopMetrics);
    f.callbacks.inc({ outcome: 'ok' });
    f.apiDuration.observe({ method: 'GET', route: '/' }, 0.1);
    noopMetrics.gauge({ name: 'g', help: 'h' }).set({}, 1);
    noopMetrics.collect({ name: 'c', help: 'h', type: 'gauge' }, () => []);
  });
});
