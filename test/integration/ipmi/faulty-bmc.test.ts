// Unanswering and malformed BMCs: bounded retries and clear errors, never a crash. The "BMCs"
// are UDP sockets on 127.0.0.1 in this process.
import test from 'ava';
import dgram from 'node:dgram';
import { pino } from 'pino';
import type { EventInput } from '../../../src/core/events.js';
import { IpmiClient } from '../../../src/ipmi/client.js';
import { IpmiPowerControl } from '../../../src/ipmi/power-control.js';
import { capture } from '../../fixtures/ipmi/capture.js';

const log = pino({ level: 'silent' });

async function fakeBmc(reply: (msg: Buffer, n: number) => Buffer[] | undefined) {
  const socket = dgram.createSocket('udp4');
  let n = 0;
  socket.on('message', (msg, rinfo) => {
    n += 1;
    for (const out of reply(msg, n) ?? []) socket.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, received: () => n, close: () => socket.close() };
}

function power(options: ConstructorParameters<typeof IpmiClient>[0]['options'] = {}) {
  const events: EventInput[] = [];
  const client = new IpmiClient({ log, options });
  return {
    events,
    power: new IpmiPowerControl({ client, events: { emit: (e) => void events.push(e) }, log }),
  };
}

const target = (port: number) => ({
  address: '127.0.0.1',
  port,
  username: 'admin',
  password: 'password',
  node: 'n',
});

test('a BMC that never answers gives ERR_IPMI_UNREACHABLE after the default bounded retries', async (t) => {
  const bmc = await fakeBmc(() => undefined);
  t.teardown(() => bmc.close());
  const h = power();
  const started = Date.now();
  const error = await t.throwsAsync(h.power.getPowerState(target(bmc.port)));
  const elapsed = Date.now() - started;
  t.is((error as { code?: string }).code, 'ERR_IPMI_UNREACHABLE');
  t.regex(error!.message, /not answering/);
  // 1 + 2 + 3 + 3 s for the v2 form, then one 1 s try in the 1.5 form; the deadline is 15 s.
  t.true(elapsed >= 9000 && elapsed < 15_500, `took ${elapsed} ms`);
  t.is(bmc.received(), 5);
  t.true(h.events.some((e) => e.type === 'ipmi.error' && e.data?.code === 'ERR_IPMI_UNREACHABLE'));
});

const garbage: Array<[string, (msg: Buffer) => Buffer[]]> = [
  ['empty datagrams', () => [Buffer.alloc(0)]],
  ['a truncated RMCP header', () => [Buffer.from([0x06, 0x00])]],
  ['a truncated auth caps response', () => [capture.authCapsResponse.subarray(0, 20)]],
  [
    'an auth caps response with a bad checksum',
    () => {
      const bad = Buffer.from(capture.authCapsResponse);
      bad[bad.length - 1]! ^= 1;
      return [bad];
    },
  ],
  ['random bytes', () => [Buffer.from(Array.from({ length: 64 }, () => Math.floor(Math.random() * 256)))]],
  ['a huge RMCP+ length field', () => [Buffer.from('0600ff0706110000000000000000ffff00', 'hex')]],
];
for (const [what, reply] of garbage) {
  test(`a BMC sending ${what} yields ERR_IPMI_PROTOCOL, no crash`, async (t) => {
    const bmc = await fakeBmc((msg) => reply(msg));
    t.teardown(() => bmc.close());
    const h = power({ retryTimeoutsMs: [150, 150], deadlineMs: 2000 });
    const error = await t.throwsAsync(h.power.validate(target(bmc.port)));
    t.is((error as { code?: string }).code, 'ERR_IPMI_PROTOCOL');
    t.regex(error!.message, /invalid/);
  });
}

test('a BMC answering auth caps then garbling the handshake yields ERR_IPMI_PROTOCOL', async (t) => {
  const bmc = await fakeBmc((msg) => {
    if (msg[4] === 0x00) return [capture.authCapsResponse];
    // Open Session Response cut short, then a RAKP2 with a foreign console session.
    return [capture.openSessionResponse.subarray(0, 30), capture.rakp2];
  });
  t.teardown(() => bmc.close());
  const h = power({ retryTimeoutsMs: [150, 150], deadlineMs: 2000 });
  const error = await t.throwsAsync(h.power.validate(target(bmc.port)));
  t.is((error as { code?: string }).code, 'ERR_IPMI_PROTOCOL');
  t.regex(error!.message, /Open Session/);
});

test('a BMC that says it has no IPMI 2.0 support gets a clear ERR_IPMI_PROTOCOL', async (t) => {
  // Auth caps response of an IPMI 1.5-only BMC (dependencies.md §4.6).
  const v15 = Buffer.from(
    '0600ff07 00 00000000 00000000 10 811c6320043800011704000000000088'.replace(/ /g, ''),
    'hex',
  );
  const bmc = await fakeBmc(() => [v15]);
  t.teardown(() => bmc.close());
  const h = power({ retryTimeoutsMs: [150], deadlineMs: 2000 });
  const error = await t.throwsAsync(h.power.validate(target(bmc.port)));
  t.is((error as { code?: string }).code, 'ERR_IPMI_PROTOCOL');
  t.regex(error!.message, /IPMI 2\.0/);
});
