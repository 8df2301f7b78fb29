// /healthz verdict from probes: ok, failing reasons, throwing and stuck probes.
import test from 'ava';
import { checkHealth } from '../../../src/metrics/health.js';

test('no failing probe is ok', async (t) => {
  t.deepEqual(await checkHealth([{ name: 'a', check: () => null }]), { status: 'ok', reasons: [] });
});

test('a failing probe makes it unhealthy with its name and reason', async (t) => {
  const report = await checkHealth([
    { name: 'state_store', check: async () => 'state_dir /x is not writable: EROFS' },
    { name: 'fine', check: () => null },
  ]);
  t.deepEqual(report, { status: 'unhealthy', reasons: ['state_store: state_dir /x is not writable: EROFS'] });
});

test('a probe that throws counts as failing', async (t) => {
  const report = await checkHealth([
    {
      name: 'p',
      check: () => {
        throw new Error('boom');
      },
    },
  ]);
  t.deepEqual(report.reasons, ['p: boom']);
});

test('a probe that does not answer in time counts as failing', async (t) => {
  const report = await checkHealth([{ name: 'slow', check: () => new Promise(() => undefined) }], 20);
  t.deepEqual(report.reasons, ['slow: no answer within 20 ms']);
});
