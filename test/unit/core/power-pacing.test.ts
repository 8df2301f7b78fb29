// Power-on pacing ([DEFAULT] introspection_delay) with the FakeClock, and the one bound on
// concurrent power operations ([ipmi] max_concurrent_power_ops, core/power-gate.ts).
import test from 'ava';
import { ipmiPortOf } from '../../../src/core/introspection.js';
import { GatedPowerControl } from '../../../src/core/power-gate.js';
import { Semaphore } from '../../../src/core/semaphore.js';
import type { BmcTarget, PowerAction, PowerControl } from '../../../src/core/power.js';
import { coreEnv, type FakeClock } from '../../helpers/core-env.js';

const TARGET: BmcTarget = { address: '198.18.1.1', port: 623, username: 'admin', password: 'secret' };

/** A power driver that records when (fake time) each action happened. */
function recordingPower(clockRef: { clock?: FakeClock }) {
  const log: Array<{ at: number; what: string; node: string | undefined }> = [];
  const at = () => clockRef.clock?.now() ?? 0;
  const power: PowerControl = {
    validate: async () => undefined,
    getPowerState: async () => 'power off',
    setPower: async (target, action) =>
      void log.push({ at: at(), what: `power ${action}`, node: target.node }),
    setBootDevice: async (target) => void log.push({ at: at(), what: 'bootdev', node: target.node }),
  };
  return { power, log };
}

async function enrol(env: ReturnType<typeof coreEnv>, i: number) {
  return env.nodes.create(
    {
      name: `node-${i}`,
      driver_info: { ipmi_address: `198.18.1.${i}`, ipmi_username: 'admin', ipmi_password: 'secret' },
    },
    { ports: [{ address: `52:54:00:00:00:0${i}` }] },
  );
}

test('power-ons of managed introspections are paced by introspection_delay on the clock', async (t) => {
  const ref: { clock?: FakeClock } = {};
  const { power, log } = recordingPower(ref);
  const slept: number[] = [];
  const env = coreEnv({
    power,
    settings: { introspectionDelay: 5 },
    sleep: async (ms, clock) => {
      slept.push(ms);
      clock.advance(ms);
    },
  });
  ref.clock = env.clock;
  const t0 = env.clock.now();
  for (let i = 1; i <= 3; i++) await enrol(env, i);
  for (let i = 1; i <= 3; i++) await env.service.start(`node-${i}`, { manageBoot: true });
  await env.service.drain();
  const ons = log.filter((e) => e.what === 'power on').map((e) => e.at - t0);
  // First at once (nothing before it), then one every 5 s of clock time.
  t.deepEqual(ons, [0, 5000, 10_000]);
  t.deepEqual(slept, [5000, 5000]);
  // The boot device is set before the pause, so the pause never delays it.
  t.is(log.filter((e) => e.what === 'bootdev').length, 3);
});

test('no pacing wait when the clock already moved past introspection_delay', async (t) => {
  const ref: { clock?: FakeClock } = {};
  const { power, log } = recordingPower(ref);
  const slept: number[] = [];
  const env = coreEnv({
    power,
    settings: { introspectionDelay: 5 },
    sleep: async (ms) => void slept.push(ms),
  });
  ref.clock = env.clock;
  await enrol(env, 1);
  await enrol(env, 2);
  await env.service.start('node-1', { manageBoot: true });
  await env.service.drain();
  env.clock.advance(6000);
  await env.service.start('node-2', { manageBoot: true });
  await env.service.drain();
  t.deepEqual(slept, []);
  t.is(log.filter((e) => e.what === 'power on').length, 2);
});

test('the gate never runs more than max_concurrent_power_ops at once, and serves waiters in order', async (t) => {
  let running = 0;
  let peak = 0;
  const started: string[] = [];
  const finishers: Array<() => void> = [];
  const slow: PowerControl = {
    validate: async () => undefined,
    getPowerState: async () => 'power on',
    setPower: (target: BmcTarget, action: PowerAction) =>
      new Promise<void>((resolve) => {
        running += 1;
        peak = Math.max(peak, running);
        started.push(`${target.node} ${action}`);
        finishers.push(() => {
          running -= 1;
          resolve();
        });
      }),
    setBootDevice: async () => undefined,
  };
  const gated = new GatedPowerControl(slow, { maxConcurrent: 2 });
  const all = [1, 2, 3, 4, 5].map((i) => gated.setPower({ ...TARGET, node: `n${i}` }, 'on'));
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(started, ['n1 on', 'n2 on']);
  t.is(gated.gate.inFlight, 2);
  t.is(gated.gate.queued, 3);
  while (finishers.length > 0) {
    finishers.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(all);
  t.is(peak, 2);
  t.deepEqual(started, ['n1 on', 'n2 on', 'n3 on', 'n4 on', 'n5 on']);
  t.is(gated.gate.inFlight, 0);
});

test('a failing power operation frees its slot', async (t) => {
  const failing: PowerControl = {
    validate: async () => undefined,
    getPowerState: async () => {
      throw new Error('BMC down');
    },
    setPower: async () => undefined,
    setBootDevice: async () => undefined,
  };
  const gated = new GatedPowerControl(failing, { maxConcurrent: 1 });
  await t.throwsAsync(gated.getPowerState(TARGET), { message: 'BMC down' });
  await t.throwsAsync(gated.getPowerState(TARGET), { message: 'BMC down' });
  t.is(gated.gate.inFlight, 0);
});

test('validate (a login) is not queued behind power operations', async (t) => {
  let release: () => void = () => undefined;
  const inner: PowerControl = {
    validate: async () => undefined,
    getPowerState: async () => 'power on',
    setPower: () => new Promise<void>((resolve) => (release = resolve)),
    setBootDevice: async () => undefined,
  };
  const gated = new GatedPowerControl(inner, { maxConcurrent: 1 });
  const busy = gated.setPower(TARGET, 'on');
  await gated.validate(TARGET);
  t.pass();
  release();
  await busy;
});

test('a semaphore of size 0 is refused', (t) => {
  t.throws(() => new Semaphore(0), { instanceOf: RangeError });
});

const ports: Array<[unknown, number]> = [
  [undefined, 623],
  [6230, 6230],
  ['6230', 6230],
  [' 624 ', 624],
  [0, 0],
  [70000, 0],
  ['abc', 0],
  [62.5, 0],
];
for (const [value, expected] of ports) {
  test(`ipmiPortOf(${JSON.stringify(value)}) is ${expected}`, (t) => {
    t.is(ipmiPortOf({ ipmi_port: value }), expected);
  });
}

test('a node whose ipmi_port is a decimal string gets that port in its BMC target', async (t) => {
  const env = coreEnv();
  const node = await env.nodes.create({
    name: 'vbmc',
    driver_info: { ipmi_address: '198.18.1.1', ipmi_port: '6231', ipmi_username: 'a', ipmi_password: 'b' },
  });
  t.is(env.service.bmcTarget(node)?.port, 6231);
  await t.throwsAsync(
    env.nodes.create({ name: 'bad', driver_info: { ipmi_address: '198.18.1.1', ipmi_port: '99999' } }),
    { message: /ipmi_port must be an integer/ },
  );
});
