import test from 'ava';
import { pino } from 'pino';
import { AppError } from '../../../src/core/errors.js';
import type { EventInput } from '../../../src/core/events.js';
import type { BmcTarget } from '../../../src/core/power.js';
import {
  bmcLabel,
  type IpmiSession,
  type IpmiSessionRunner,
  type RunOptions,
} from '../../../src/ipmi/client.js';
import type { CommandSpec } from '../../../src/ipmi/commands.js';
import { IpmiPowerControl } from '../../../src/ipmi/power-control.js';

const log = pino({ level: 'silent' });
const target: BmcTarget = {
  address: '198.18.0.9',
  port: 623,
  username: 'admin',
  password: 'Secr3tPassw0rd',
  node: 'n1',
};

/** A scripted BMC session: each command name maps to a queue of results (value or thrown error). */
function fakeClient(script: Record<string, Array<unknown>>) {
  const calls: Array<{ name: string; options: RunOptions | undefined }> = [];
  const session: IpmiSession = {
    bmc: '198.18.0.9:623',
    bmcSessionId: 1,
    packetsSent: 0,
    authCapabilities: {} as IpmiSession['authCapabilities'],
    run: async <T>(spec: CommandSpec<T>, options?: RunOptions): Promise<T> => {
      calls.push({ name: spec.name, options });
      const queue = script[spec.name] ?? [];
      const next = queue.length > 1 ? queue.shift() : queue[0];
      if (next instanceof Error) throw next;
      return next as T;
    },
  };
  const client: IpmiSessionRunner = {
    withSession: async (_t, fn) => fn(session),
    validate: async () => ({ bmc: session.bmc, channel: 1, packetsSent: 5 }),
  };
  return { client, calls };
}

function make(script: Record<string, Array<unknown>>) {
  const events: EventInput[] = [];
  const fake = fakeClient(script);
  return {
    events,
    calls: fake.calls,
    power: new IpmiPowerControl({ client: fake.client, events: { emit: (e) => void events.push(e) }, log }),
  };
}

const on = { powerOn: true };
const off = { powerOn: false };
const timeout = () => new AppError('ERR_IPMI_UNREACHABLE', 'no response');

test('cycle of a running chassis is sent once, without retries', async (t) => {
  const h = make({ 'Get Chassis Status': [on], 'Chassis Control (cycle)': [undefined] });
  await h.power.setPower(target, 'cycle');
  t.deepEqual(
    h.calls.map((c) => c.name),
    ['Get Chassis Status', 'Chassis Control (cycle)'],
  );
  t.deepEqual(h.calls[1]!.options, { attempts: 1 });
});

test('cycle of a chassis that is off becomes power on', async (t) => {
  const h = make({ 'Get Chassis Status': [off] });
  await h.power.setPower(target, 'cycle');
  t.deepEqual(
    h.calls.map((c) => c.name),
    ['Get Chassis Status', 'Chassis Control (on)'],
  );
  t.like(h.events[0], { type: 'ipmi.power', node: 'n1', data: { action: 'cycle', sent: 'on' } });
});

test('a cycle that timed out re-reads the state; still on → resent with the same rqSeq', async (t) => {
  const h = make({ 'Get Chassis Status': [on, on], 'Chassis Control (cycle)': [timeout(), undefined] });
  await h.power.setPower(target, 'cycle');
  t.deepEqual(
    h.calls.map((c) => c.name),
    ['Get Chassis Status', 'Chassis Control (cycle)', 'Get Chassis Status', 'Chassis Control (cycle)'],
  );
  t.deepEqual(h.calls[3]!.options, { repeatPrevious: true });
});

test('a reset that timed out and left the chassis off is followed by power on, not a second reset', async (t) => {
  const h = make({ 'Get Chassis Status': [on, off], 'Chassis Control (reset)': [timeout()] });
  await h.power.setPower(target, 'reset');
  t.deepEqual(h.calls.map((c) => c.name).slice(-1), ['Chassis Control (on)']);
  t.is(h.calls.filter((c) => c.name === 'Chassis Control (reset)').length, 1);
});

test('power off is a single idempotent command with normal retries', async (t) => {
  const h = make({});
  await h.power.setPower(target, 'off');
  t.deepEqual(h.calls, [{ name: 'Chassis Control (off)', options: undefined }]);
});

test('getPowerState maps the chassis power bit', async (t) => {
  t.is(await make({ 'Get Chassis Status': [on] }).power.getPowerState(target), 'power on');
  t.is(await make({ 'Get Chassis Status': [off] }).power.getPowerState(target), 'power off');
});

test('setBootDevice tolerates optional parameters and reports the read-back device', async (t) => {
  const h = make({
    'Get System Boot Options (parameter 5)': [
      { version: 1, parameter: 5, invalid: false, data: Buffer.from('0004000000', 'hex') },
    ],
  });
  await h.power.setBootDevice(target, 'pxe', { persistent: false });
  t.deepEqual(
    h.calls.map((c) => c.name),
    [
      'Set System Boot Options (parameter 0)',
      'Set System Boot Options (parameter 4)',
      'Set System Boot Options (parameter 5)',
      'Set System Boot Options (parameter 0)',
      'Get System Boot Options (parameter 5)',
    ],
  );
  t.like(h.events[0], {
    type: 'ipmi.bootdev',
    level: 'info',
    data: { device: 'pxe', readBack: 'pxe', efi: false },
  });
});

const badTargets: Array<[string, Partial<BmcTarget>]> = [
  ['no address', { address: '' }],
  ['a port out of range', { port: 70000 }],
  ['a 17-byte user name', { username: 'u'.repeat(17) }],
  ['a 21-byte password', { password: 'p'.repeat(21) }],
];
for (const [what, patch] of badTargets) {
  test(`validate refuses ${what} with ERR_IPMI_NO_CREDENTIALS and an ipmi.error event`, async (t) => {
    const h = make({});
    const error = await t.throwsAsync(h.power.validate({ ...target, ...patch }));
    t.is((error as AppError).code, 'ERR_IPMI_NO_CREDENTIALS');
    t.like(h.events[0], { type: 'ipmi.error', level: 'error', data: { code: 'ERR_IPMI_NO_CREDENTIALS' } });
  });
}

test('events never carry the password', async (t) => {
  const h = make({ 'Get Chassis Status': [on, new AppError('ERR_IPMI_COMMAND', 'boom')] });
  await h.power.setPower(target, 'on');
  await h.power.getPowerState(target);
  await h.power.getPowerState(target).catch(() => undefined);
  await h.power.validate(target);
  t.true(h.events.length >= 4);
  t.false(JSON.stringify(h.events).includes(target.password));
});

test('events name an IPv6 BMC as [address]:port', async (t) => {
  const events: EventInput[] = [];
  const { client } = fakeClient({ 'Get Chassis Status': [{ powerOn: true }] });
  const power = new IpmiPowerControl({ client, events: { emit: (e) => events.push(e) }, log });
  await power.getPowerState({ ...target, address: 'fd00::9' });
  t.is(bmcLabel({ address: 'fd00::9', port: 623 }), '[fd00::9]:623');
  t.regex(events[0]!.message, /BMC \[fd00::9\]:623 reports power on/);
  t.is(events[0]!.data?.bmc, '[fd00::9]:623');
});
