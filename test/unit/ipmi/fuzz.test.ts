// Decoders never throw: a bounded random fuzz over every entry point that reads peer bytes.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import * as commands from '../../../src/ipmi/commands.js';
import {
  decodeAsfPong,
  decodeLanResponse,
  decodeRmcp,
  splitIntegrityTrailer,
} from '../../../src/ipmi/rmcp.js';
import { RmcpPlusSession } from '../../../src/ipmi/session.js';
import { Ipmi15Session } from '../../../src/ipmi/ipmi15-session.js';
import { capture } from '../../fixtures/ipmi/capture.js';
import type { LanResponse } from '../../../src/ipmi/rmcp.js';

/** Random input: pure noise, or a captured packet truncated / bit-flipped / extended. */
function* inputs(count: number): Generator<Buffer> {
  const seeds = Object.values(capture);
  for (let i = 0; i < count; i++) {
    const kind = i % 4;
    if (kind === 0) {
      yield randomBytes(i % 80);
      continue;
    }
    const seed = Buffer.from(seeds[i % seeds.length]!);
    if (kind === 1) yield seed.subarray(0, i % (seed.length + 1));
    else if (kind === 2) {
      seed[i % seed.length]! ^= 1 << (i % 8);
      yield seed;
    } else yield Buffer.concat([seed, randomBytes(i % 9)]);
  }
}

function activeSession(): RmcpPlusSession {
  const fixed = [Buffer.from('c6391d2779f34af0896f9025919930a5', 'hex')];
  const s = new RmcpPlusSession(
    { username: 'admin', password: 'password' },
    {},
    { random: (n) => (n === 4 ? Buffer.from('a4a3a2a0', 'hex') : (fixed.shift() ?? randomBytes(n))) },
  );
  s.openSessionRequest();
  s.acceptOpenSessionResponse(capture.openSessionResponse);
  s.rakp1();
  s.acceptRakp2(capture.rakp2);
  s.acceptRakp4(capture.rakp4);
  return s;
}

const decoders = [
  commands.getChannelAuthCapabilities(),
  commands.getDeviceId(),
  commands.getChassisStatus(),
  commands.getSystemBootOptions(5),
  commands.getUserName(2),
  commands.getUserAccess(1, 2),
  commands.setSessionPrivilege(4),
];

test('20k random and mutated datagrams never make a decoder or the session engine throw', (t) => {
  const active = activeSession();
  t.is(active.phase, 'active');
  let accepted = 0;
  for (const input of inputs(20_000)) {
    decodeRmcp(input);
    decodeAsfPong(input);
    decodeLanResponse(input);
    splitIntegrityTrailer(input, Math.min(16, input.length), 12);
    const fresh = new RmcpPlusSession(
      { username: 'admin', password: 'password' },
      {},
      { random: randomBytes },
    );
    fresh.acceptAuthCapabilities(input);
    fresh.openSessionRequest();
    fresh.acceptOpenSessionResponse(input);
    fresh.acceptRakp2(input);
    fresh.acceptRakp4(input);
    if (active.unwrap(input).kind === 'ok') accepted += 1;
    const v15 = new Ipmi15Session({ username: 'admin', password: 'password' }, {}, { random: randomBytes });
    v15.challengeRequest();
    v15.acceptChallenge(input);
    v15.acceptActivate(input);
    v15.unwrap(input);
    const response = { cc: input[0] ?? 0, data: input.subarray(1) } as LanResponse;
    for (const d of decoders) d.decode(response);
    commands.decodeBootFlags(input);
  }
  // A mutated #10/#22 must never verify; only the untouched or extended captures could.
  t.true(accepted < 200, `accepted ${accepted}`);
});
