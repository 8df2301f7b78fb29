import test from 'ava';
import { pino } from 'pino';
import { AppError } from '../../../src/core/errors.js';
import type { EventInput } from '../../../src/core/events.js';
import type { BmcTarget } from '../../../src/core/power.js';
import type { IpmiSession, IpmiSessionRunner } from '../../../src/ipmi/client.js';
import type { CommandSpec } from '../../../src/ipmi/commands.js';
import { generatePassword, IpmiCredentials } from '../../../src/ipmi/credentials.js';
import type { LanResponse } from '../../../src/ipmi/rmcp.js';

const log = pino({ level: 'silent' });
const admin: BmcTarget = {
  address: '198.18.0.9',
  port: 623,
  username: 'admin',
  password: 'password',
  node: 'n1',
};

interface User {
  name: string;
  password: string;
  enabled: boolean;
  access?: number;
}

/** A tiny BMC user table behind the session seam; `quirk` models BMC differences. */
function fakeBmc(users: Record<number, User>, quirk: { no20?: boolean; keeps16?: boolean } = {}) {
  const calls: string[] = [];
  const session: IpmiSession = {
    bmc: 'fake',
    bmcSessionId: 1,
    packetsSent: 0,
    authCapabilities: { channel: 1 } as IpmiSession['authCapabilities'],
    run: async <T>(spec: CommandSpec<T>): Promise<T> => {
      calls.push(spec.name);
      const d = spec.data;
      const reply = (cc: number, data: number[] | Buffer = []) => {
        if (cc !== 0 && !(spec.tolerate ?? []).includes(cc)) {
          throw new AppError('ERR_IPMI_COMMAND', `${spec.name}: cc ${cc}`, { cc });
        }
        const r = spec.decode({ cc, data: Buffer.from(data) } as LanResponse);
        if (!r.ok) throw new Error(r.reason);
        return r.value;
      };
      const uid = (d[0] ?? 0) & 0x3f;
      switch (spec.cmd) {
        case 0x44:
          return reply(0, [10, 1, 0, users[d[1]!]?.access ?? 0]);
        case 0x46: {
          const name = Buffer.alloc(16);
          name.write(users[uid]?.name ?? '');
          return reply(0, name);
        }
        case 0x45:
          users[uid] = {
            ...(users[uid] ?? { password: '', enabled: false }),
            name: d.subarray(1).toString().replace(/\0+$/, ''),
          };
          return reply(0);
        case 0x47: {
          const twenty = (d[0]! & 0x80) !== 0;
          const op = d[1];
          const user = (users[uid] ??= { name: '', password: '', enabled: false });
          if (op === 2) {
            if (twenty && quirk.no20) return reply(0x81);
            const pw = d.subarray(2).toString().replace(/\0+$/, '');
            user.password = quirk.keeps16 ? pw.slice(0, 16) : pw;
          }
          if (op === 1) user.enabled = true;
          if (op === 0) user.enabled = false;
          return reply(0);
        }
        case 0x43:
          users[d[1]!]!.access = d[2]!;
          return reply(0);
        default:
          throw new Error(`unexpected ${spec.name}`);
      }
    },
  };
  const login = (t: BmcTarget) => {
    const ok = Object.values(users).some(
      (u) => u.enabled && u.name === t.username && u.password === t.password,
    );
    if (!ok) throw new AppError('ERR_IPMI_AUTH', 'RAKP2 mismatch');
  };
  const client: IpmiSessionRunner = {
    withSession: async (t, fn) => {
      login(t);
      return fn(session);
    },
    validate: async (t) => {
      login(t);
      return { bmc: 'fake', channel: 1, packetsSent: 5 };
    },
  };
  return { client, calls, users };
}

function make(bmc: ReturnType<typeof fakeBmc>) {
  const events: EventInput[] = [];
  const credentials = new IpmiCredentials({
    client: bmc.client,
    events: { emit: (e) => void events.push(e) },
    log,
    sleep: async () => undefined,
  });
  return { events, credentials };
}

const base = (): Record<number, User> => ({
  1: { name: '', password: '', enabled: true },
  2: { name: 'admin', password: 'password', enabled: true },
});

test('generated passwords are letters and digits of the requested length', (t) => {
  t.regex(generatePassword(), /^[A-Za-z0-9]{20}$/);
  t.regex(generatePassword(16), /^[A-Za-z0-9]{16}$/);
});

test('rotation picks the first empty slot, never uid 1 or the current user, and verifies by login', async (t) => {
  const bmc = fakeBmc(base());
  const h = make(bmc);
  const r = await h.credentials.rotate(admin);
  t.is(r.uid, 3);
  t.is(r.passwordForm, 20);
  t.like(bmc.users[3], { name: 'inspector', enabled: true, access: 4 });
  t.like(bmc.users[2], { name: 'admin', password: 'password' });
  t.like(h.events.at(-1), {
    type: 'ipmi.credentials.set',
    node: 'n1',
    data: { uid: 3, newUsername: 'inspector', channel: 1 },
  });
  t.false(JSON.stringify(h.events).includes(r.target.password));
});

test('rotation reuses the slot already named like the new user instead of duplicating the name', async (t) => {
  const users = base();
  users[5] = { name: 'inspector', password: 'old', enabled: true };
  const r = await make(fakeBmc(users)).credentials.rotate(admin);
  t.is(r.uid, 5);
});

test('rotating while logged in as the target name uses a different name', async (t) => {
  const users = base();
  users[3] = { name: 'inspector', password: 'pw', enabled: true };
  const r = await make(fakeBmc(users)).credentials.rotate({
    ...admin,
    username: 'inspector',
    password: 'pw',
  });
  t.is(r.target.username, 'inspector2');
  t.is(r.uid, 4);
  t.like(users[3], { name: 'inspector', password: 'pw' });
});

test('CC 81h on the 20-byte form falls back to a 16-byte password', async (t) => {
  const bmc = fakeBmc(base(), { no20: true });
  const r = await make(bmc).credentials.rotate(admin);
  t.is(r.passwordForm, 16);
  t.is(r.target.password.length, 16);
});

test('a BMC that silently keeps 16 of 20 bytes is caught by the login and redone with 16 bytes', async (t) => {
  const bmc = fakeBmc(base(), { keeps16: true });
  const r = await make(bmc).credentials.rotate(admin);
  t.is(r.passwordForm, 16);
  t.is(bmc.users[3]!.password, r.target.password);
});

test('no free slot gives ERR_IPMI_NO_FREE_USER', async (t) => {
  const users = base();
  for (let uid = 3; uid <= 10; uid++) users[uid] = { name: `u${uid}`, password: 'x', enabled: true };
  const h = make(fakeBmc(users));
  const error = await t.throwsAsync(h.credentials.rotate(admin));
  t.is((error as AppError).code, 'ERR_IPMI_NO_FREE_USER');
  t.like(h.events.at(-1), { type: 'ipmi.error', data: { code: 'ERR_IPMI_NO_FREE_USER' } });
});

test('verifyCredentials tries the given number of times, then ERR_IPMI_CREDENTIALS_UNVERIFIED', async (t) => {
  const bmc = fakeBmc(base());
  const h = make(bmc);
  const error = await t.throwsAsync(
    h.credentials.verifyCredentials({ ...admin, password: 'no' }, { tries: 10, intervalMs: 3000 }),
  );
  t.is((error as AppError).code, 'ERR_IPMI_CREDENTIALS_UNVERIFIED');
  t.regex((error as Error).message, /after 10 logins/);
  await h.credentials.verifyCredentials(admin, { tries: 1, intervalMs: 0 });
});

test('an operator password of up to 16 bytes is set once in the 16-byte form', async (t) => {
  const bmc = fakeBmc(base(), { keeps16: true });
  const r = await make(bmc).credentials.rotate(admin, { password: 'Chosen123' });
  t.is(r.passwordForm, 16);
  t.is(r.target.password, 'Chosen123');
  t.is(bmc.users[3]!.password, 'Chosen123');
});

test('an operator password of 17-20 bytes that the BMC cuts to 16 fails clearly and is not kept', async (t) => {
  const bmc = fakeBmc(base(), { keeps16: true });
  const h = make(bmc);
  const error = await t.throwsAsync(h.credentials.rotate(admin, { password: 'A'.repeat(18) }));
  t.is((error as AppError).code, 'ERR_IPMI_CREDENTIALS_UNVERIFIED');
  t.regex((error as Error).message, /at most 16 characters/);
  t.false(bmc.users[3]!.enabled);
});

test('an empty or over-long operator password is refused before any BMC command', async (t) => {
  const bmc = fakeBmc(base());
  for (const password of ['', 'x'.repeat(21)]) {
    const error = await t.throwsAsync(make(bmc).credentials.rotate(admin, { password }));
    t.is((error as AppError).code, 'ERR_IPMI_NO_CREDENTIALS');
  }
  t.deepEqual(bmc.calls, []);
});

test('disableUser disables the named slot in a session of the new user', async (t) => {
  const users = base();
  users[3] = { name: 'inspector', password: 'newpw', enabled: true };
  const bmc = fakeBmc(users);
  const h = make(bmc);
  const uid = await h.credentials.disableUser(
    { ...admin, username: 'inspector', password: 'newpw' },
    'admin',
  );
  t.is(uid, 2);
  t.false(users[2]!.enabled);
  t.like(h.events.at(-1), { type: 'ipmi.credentials.disabled', data: { uid: 2, disabledUsername: 'admin' } });
});

test('disableUser refuses to disable the session user itself', async (t) => {
  const h = make(fakeBmc(base()));
  await t.throwsAsync(h.credentials.disableUser(admin, 'admin'), { message: /session's own user/ });
});
