// Live reconfiguration of the DHCP responder (SIGHUP, ADR 0011): bindings carried over, the new
// range used for new clients, leases outside it served until they end but not renewed.
import test from 'ava';
import pino from 'pino';
import { isAppError } from '../../../src/core/errors.js';
import {
  MessageType,
  Opt,
  decode,
  encodeRequest,
  getLeaseTime,
  getMessageType,
  optIp,
  type DhcpPacket,
} from '../../../src/dhcp/packet.js';
import { defaultBootFiles } from '../../../src/dhcp/pxe.js';
import {
  DhcpResponder,
  type DecideFn,
  type Lease,
  type Outcome,
  type ResponderOptions,
} from '../../../src/dhcp/responder.js';
import { DhcpServer } from '../../../src/dhcp/server.js';

const SERVER = '198.18.0.1';
const via67 = { localPort: 67, address: '0.0.0.0', port: 68 };

function options(range: [string, string], over: Partial<ResponderOptions> = {}, leaseTime = 600) {
  return {
    serverAddress: SERVER,
    subnets: [{ cidr: '198.18.0.0/24', rangeStart: range[0], rangeEnd: range[1], leaseTime }],
    mode: 'full',
    authoritative: true,
    offerTtl: 30,
    declineQuarantine: 300,
    boot: defaultBootFiles,
    ...over,
  } satisfies ResponderOptions;
}

const OLD: [string, string] = ['198.18.0.100', '198.18.0.110'];
const NEW: [string, string] = ['198.18.0.200', '198.18.0.210'];

function clock() {
  return {
    t: 1_000_000,
    now() {
      return this.t;
    },
  };
}

const mac = (n: number): Buffer => Buffer.from([0x02, 0, 0, 0, 0, n]);

function request(type: number, n: number, extra: Array<[number, Buffer]> = [], ciaddr?: string): Buffer {
  return encodeRequest({
    htype: 1,
    hlen: 6,
    xid: 7,
    flags: 0,
    ...(ciaddr ? { ciaddr } : {}),
    chaddr: mac(n),
    options: [[Opt.MESSAGE_TYPE, Buffer.from([type])], ...extra],
  });
}

function reply(o: Outcome): DhcpPacket {
  if (!o.reply) throw new Error(`no reply: ${o.event.message}`);
  const d = decode(o.reply.buffer);
  if (!d.ok) throw new Error(d.error);
  return d.packet;
}

function discover(r: DhcpResponder, n: number): DhcpPacket {
  return reply(r.handleDatagram(request(MessageType.DISCOVER, n), via67));
}

function select(r: DhcpResponder, n: number, address: string): Outcome {
  return r.handleDatagram(
    request(MessageType.REQUEST, n, [
      [Opt.SERVER_ID, optIp(SERVER)],
      [Opt.REQUESTED_IP, optIp(address)],
    ]),
    via67,
  );
}

function dora(r: DhcpResponder, n: number): string {
  const address = discover(r, n).yiaddr;
  if (getMessageType(reply(select(r, n, address))) !== MessageType.ACK) throw new Error('not acked');
  return address;
}

const renew = (r: DhcpResponder, n: number, address: string): Outcome =>
  r.handleDatagram(request(MessageType.REQUEST, n, [], address), via67);

/** A responder with leases from the old range, then one with `next` options adopting them. */
function swapped(next: ResponderOptions, decide?: DecideFn) {
  const c = clock();
  const deps = { clock: c, ...(decide ? { decide } : {}) };
  const before = new DhcpResponder(options(OLD), deps);
  const first = dora(before, 1);
  const after = new DhcpResponder(next, deps);
  const adopted = after.adoptBindings(before);
  return { before, after, adopted, first, clock: c };
}

test('after a range swap a new client gets an address from the new range', (t) => {
  const { after } = swapped(options(NEW));
  t.is(dora(after, 2), '198.18.0.200');
});

test('a lease outside the new range is carried over and reported', (t) => {
  const { after, adopted, first } = swapped(options(NEW));
  t.is(first, '198.18.0.100');
  t.deepEqual(adopted, { kept: 1, outsideRange: ['198.18.0.100'], dropped: [] });
  t.like(after.leases()[0], { address: '198.18.0.100', mac: '02:00:00:00:00:01', state: 'bound' });
});

test('renewing a lease outside the new range is NAKed and the lease forgotten (authoritative)', (t) => {
  const { after, first } = swapped(options(NEW));
  const o = renew(after, 1, first);
  t.is(getMessageType(reply(o)), MessageType.NAK);
  t.regex(o.event.message, /outside the dynamic range 198\.18\.0\.200-198\.18\.0\.210: lease not renewed/);
  t.deepEqual(after.leases(), []);
});

test('renewing a lease outside the new range is ignored when not authoritative; the lease runs on', (t) => {
  const { after, first } = swapped(options(NEW, { authoritative: false }));
  const o = renew(after, 1, first);
  t.is(o.reply, undefined);
  t.is(o.stat, 'ignored:outside-range');
  t.is(after.leases().length, 1);
});

test('a lease inside the new range is renewed with the new lease time', (t) => {
  const { after, first } = swapped(options(['198.18.0.100', '198.18.0.120'], {}, 1200));
  const ack = reply(renew(after, 1, first));
  t.is(getMessageType(ack), MessageType.ACK);
  t.is(getLeaseTime(ack), 1200);
});

test('a client whose lease fell outside the range is offered a new-range address', (t) => {
  const { after } = swapped(options(NEW));
  t.is(discover(after, 1).yiaddr, '198.18.0.200');
  t.is(after.leases().length, 0, 'the old binding is released when a new address is offered');
});

test('an offer made before the swap is still acknowledged (a node mid-boot is not cut off)', (t) => {
  const c = clock();
  const before = new DhcpResponder(options(OLD), { clock: c });
  const offered = discover(before, 3).yiaddr;
  const after = new DhcpResponder(options(NEW), { clock: c });
  after.adoptBindings(before);
  t.is(getMessageType(reply(select(after, 3, offered))), MessageType.ACK);
});

test('a reserved address outside the new range is still renewed', (t) => {
  const decide: DecideFn = () => ({ action: 'serve', reservedAddress: '198.18.0.100' });
  const { after, first } = swapped(options(NEW), decide);
  t.is(getMessageType(reply(renew(after, 1, first))), MessageType.ACK);
});

test('leases in no configured subnet are dropped by the swap', (t) => {
  const next = options(['198.19.0.10', '198.19.0.20'], {
    serverAddress: '198.19.0.1',
  });
  next.subnets[0]!.cidr = '198.19.0.0/24';
  const { after, adopted } = swapped(next);
  t.deepEqual(adopted.dropped, ['198.18.0.100']);
  t.true(after.takeDirty(), 'a dropped lease makes the leases to save change');
});

test('DhcpServer.reconfigure: an invalid range throws ERR_DHCP_CONFIG and keeps the running responder', (t) => {
  const saved: Lease[][] = [];
  const server = new DhcpServer(options(OLD), {
    log: pino({ level: 'silent' }),
    events: { emit: () => undefined },
    clock: clock(),
    leaseStore: { load: () => [], save: async (l) => void saved.push(l) },
  });
  const running = server.responder;
  const error = t.throws(() => server.reconfigure(options(['198.18.0.50', '198.18.0.40'])));
  t.true(isAppError(error) && error.code === 'ERR_DHCP_CONFIG');
  t.is(server.responder, running);
  server.reconfigure(options(NEW));
  t.not(server.responder, running);
  t.is(dora(server.responder, 9), '198.18.0.200');
});
