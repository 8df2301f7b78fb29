// Our RMCP+ client against a real BMC (ipmi_sim in a namespace), every state cross-checked with
// `ipmitool -I lanplus -C 3` reading the same BMC.
import test from 'ava';
import { pino } from 'pino';
import type { EventInput } from '../../../src/core/events.js';
import type { BmcTarget } from '../../../src/core/power.js';
import { IpmiClient } from '../../../src/ipmi/client.js';
import { IpmiCredentials } from '../../../src/ipmi/credentials.js';
import { IpmiPowerControl } from '../../../src/ipmi/power-control.js';
import { getDeviceId } from '../../../src/ipmi/commands.js';
import { requireTools } from '../../helpers/netns.js';
import { sleep, waitFor } from '../../helpers/wait.js';
import { hideRmcpPlus, startBmcLab, startRelay, type BmcLab } from './bmc-lab.js';

const log = pino({ level: 'silent' });
let lab: BmcLab;
let admin: BmcTarget;

function harness(
  options: ConstructorParameters<typeof IpmiClient>[0]['options'] = {},
  allowIpmi15Md5 = false,
) {
  const events: EventInput[] = [];
  const sink = { emit: (e: EventInput) => void events.push(e) };
  const client = new IpmiClient({ log, options });
  return {
    events,
    client,
    power: new IpmiPowerControl({ client, events: sink, log, sessionOverrides: () => ({ allowIpmi15Md5 }) }),
    credentials: new IpmiCredentials({ client, events: sink, log }),
  };
}

const powerStatus = async (creds?: { username: string; password: string }) =>
  (await lab.ipmitool(['chassis', 'power', 'status'], creds)).trim();

test.before(async () => {
  await requireTools('ipmi_sim', 'ipmitool', 'ip');
  lab = await startBmcLab();
  admin = { address: lab.address, port: lab.port, username: 'admin', password: 'password', node: 'node-1' };
});

test.after.always(async () => {
  await lab?.destroy();
});

test.serial('validate opens and closes an RMCP+ session and emits ipmi.validate', async (t) => {
  const h = harness();
  await h.power.validate(admin);
  t.true(h.events.some((e) => e.type === 'ipmi.validate' && e.node === 'node-1'));
});

test.serial('power on, then off, each confirmed by ipmitool', async (t) => {
  const h = harness();
  await h.power.setPower(admin, 'on');
  t.is(await powerStatus(), 'Chassis Power is on');
  t.is(await h.power.getPowerState(admin), 'power on');
  await h.power.setPower(admin, 'off');
  t.is(await powerStatus(), 'Chassis Power is off');
  t.is(await h.power.getPowerState(admin), 'power off');
});

test.serial('power cycle of a running chassis goes off then on (ipmitool sees it on again)', async (t) => {
  const h = harness();
  await h.power.setPower(admin, 'on');
  const before = (await lab.chassisCalls()).length;
  await h.power.setPower(admin, 'cycle');
  // ipmi_sim turns power off, then on about 1 s later (dependencies.md §4): poll.
  await waitFor(
    async () => (await powerStatus()) === 'Chassis Power is on',
    'chassis on after cycle',
    10_000,
    300,
  );
  const calls = (await lab.chassisCalls()).slice(before).filter((c) => c.startsWith('set power'));
  t.deepEqual(calls, ['set power 0', 'set power 1']);
  t.like(
    h.events.find((e) => e.type === 'ipmi.power' && e.data?.action === 'cycle'),
    { data: { sent: 'cycle' } },
  );
});

test.serial('power cycle of a chassis that is off sends power on instead', async (t) => {
  const h = harness();
  await h.power.setPower(admin, 'off');
  t.is(await powerStatus(), 'Chassis Power is off');
  await h.power.setPower(admin, 'cycle');
  t.is(await powerStatus(), 'Chassis Power is on');
  t.like(
    h.events.find((e) => e.type === 'ipmi.power' && e.data?.action === 'cycle'),
    { data: { sent: 'on' } },
  );
  await h.power.setPower(admin, 'off');
});

test.serial('boot device pxe (next boot, legacy) is what ipmitool reads in boot parameter 5', async (t) => {
  const h = harness();
  await h.power.setBootDevice(admin, 'pxe', { persistent: false, efi: false });
  t.regex(await lab.ipmitool(['chassis', 'bootparam', 'get', '5']), /Force PXE/);
  await h.power.setBootDevice(admin, 'disk', { persistent: true, efi: true });
  t.regex(await lab.ipmitool(['chassis', 'bootparam', 'get', '5']), /Force Boot from default Hard-Drive/);
  const ev = h.events.filter((e) => e.type === 'ipmi.bootdev');
  t.is(ev.length, 2);
  t.like(ev[0], { data: { device: 'pxe', readBack: 'pxe' } });
  t.false(JSON.stringify(h.events).includes('password"'));
});

test.serial(
  'out-of-band rotation: new credentials log in with ipmitool; the replaced password fails',
  async (t) => {
    const h = harness();
    const first = await h.credentials.rotate(admin);
    t.is(first.target.username, 'inspector');
    t.not(first.uid, 1);
    t.not(first.uid, 2);
    t.regex(first.target.password, /^[A-Za-z0-9]{16,20}$/);
    t.regex(await powerStatus(first.target), /^Chassis Power is (on|off)$/);
    await h.power.validate(first.target);
    // The old admin user was not touched.
    await h.power.validate(admin);

    // Rotating again into the same user name reuses its slot: the previous password stops working.
    const second = await h.credentials.rotate(admin);
    t.is(second.uid, first.uid);
    t.regex(await powerStatus(second.target), /^Chassis Power is (on|off)$/);
    const error = await t.throwsAsync(h.power.validate(first.target));
    t.is((error as { code?: string }).code, 'ERR_IPMI_AUTH');

    const creds = h.events.filter((e) => e.type === 'ipmi.credentials.set');
    t.is(creds.length, 2);
    const dump = JSON.stringify(h.events);
    t.false(dump.includes(first.target.password));
    t.false(dump.includes(second.target.password));
  },
);

test.serial(
  'verifyCredentials polls until the credentials log in, and fails clearly when they never do',
  async (t) => {
    const h = harness();
    await h.credentials.verifyCredentials(admin, { tries: 2, intervalMs: 100 });
    const error = await t.throwsAsync(
      h.credentials.verifyCredentials({ ...admin, password: 'nope' }, { tries: 2, intervalMs: 100 }),
    );
    t.is((error as { code?: string }).code, 'ERR_IPMI_CREDENTIALS_UNVERIFIED');
    t.regex(error!.message, /after 2 logins/);
  },
);

test.serial(
  'a wrong password fails at RAKP2 with ERR_IPMI_AUTH after 3 datagrams, no retry storm',
  async (t) => {
    const relay = await startRelay(lab);
    t.teardown(() => relay.close());
    const h = harness();
    const started = Date.now();
    const error = await t.throwsAsync(
      h.power.validate({ ...admin, address: '127.0.0.1', port: relay.port, password: 'wrong-password' }),
    );
    t.is((error as { code?: string }).code, 'ERR_IPMI_AUTH');
    t.regex(error!.message, /RAKP2/);
    t.true(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    await sleep(200);
    // Auth caps, Open Session, RAKP1: nothing is resent after the BMC proved a different password.
    t.is(relay.counts.toBmc, 3);
    t.true(h.events.some((e) => e.type === 'ipmi.error' && e.data?.code === 'ERR_IPMI_AUTH'));
  },
);

test.serial('commands on one BMC are serialised and keep-alive runs during a long session', async (t) => {
  const relay = await startRelay(lab);
  t.teardown(() => relay.close());
  const h = harness({ keepAliveMs: 200 });
  const target = { ...admin, address: '127.0.0.1', port: relay.port };
  let active = 0;
  let maxActive = 0;
  const job = () =>
    h.client.withSession(target, async (s) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await s.run(getDeviceId());
      await sleep(700);
      active -= 1;
    });
  await Promise.all([job(), job()]);
  t.is(maxActive, 1);
  // 2 × (5 handshake + 1 command + close) = 14; keep-alives add at least 2 per session.
  t.true(relay.counts.toBmc >= 18, `sent ${relay.counts.toBmc}`);
});

test.serial(
  'a BMC without RMCP+ is refused unless the IPMI 1.5 MD5 fallback is enabled for it',
  async (t) => {
    const relay = await startRelay(lab, hideRmcpPlus);
    t.teardown(() => relay.close());
    const target = { ...admin, address: '127.0.0.1', port: relay.port };
    const refused = await t.throwsAsync(harness().power.validate(target));
    t.is((refused as { code?: string }).code, 'ERR_IPMI_PROTOCOL');
    t.regex(refused!.message, /1\.5 MD5 fallback is not enabled/);

    const h = harness({}, true);
    await h.power.setPower(target, 'on');
    t.is(await powerStatus(), 'Chassis Power is on');
    t.is(await h.power.getPowerState(target), 'power on');
    await h.power.setPower(target, 'off');
    t.is(await powerStatus(), 'Chassis Power is off');
    const before = relay.counts.toBmc;
    const wrong = await t.throwsAsync(harness({}, true).power.validate({ ...target, password: 'wrong' }));
    t.is((wrong as { code?: string }).code, 'ERR_IPMI_AUTH');
    // Auth caps, challenge, two Activate Session tries: no retry storm.
    t.is(relay.counts.toBmc - before, 4);
  },
);
