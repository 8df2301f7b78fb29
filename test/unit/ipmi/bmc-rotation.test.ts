// The rotation use-case (src/bmc-credentials.ts): refused during introspection, stored only after the
// BMC proved it, never answering or emitting the password.
import test from 'ava';
import { pino } from 'pino';
import { BmcCredentialRotation, type BmcCredentialRotationDeps } from '../../../src/bmc-credentials.js';
import { AppError } from '../../../src/core/errors.js';
import type { BmcTarget } from '../../../src/core/power.js';
import type { RotateOptions } from '../../../src/ipmi/credentials.js';
import { coreEnv } from '../../helpers/core-env.js';

const log = pino({ level: 'silent' });

async function setup(behaviour: { fail?: AppError; disableFails?: boolean } = {}) {
  const env = coreEnv();
  const node = await env.nodes.create(
    {
      name: 'n1',
      driver_info: {
        ipmi_address: '198.18.1.1',
        ipmi_port: 6230,
        ipmi_username: 'admin',
        ipmi_password: 'old',
      },
    },
    { ports: [{ address: '52:54:00:00:00:01' }] },
  );
  const calls: Array<{ current: BmcTarget; options: RotateOptions }> = [];
  const disabled: Array<{ as: BmcTarget; username: string }> = [];
  const credentials: BmcCredentialRotationDeps['credentials'] = {
    rotate: async (current, options = {}) => {
      calls.push({ current, options });
      if (behaviour.fail) throw behaviour.fail;
      const username = options.username ?? 'inspector';
      return {
        target: { ...current, username, password: options.password ?? 'GeneratedSecret12345' },
        uid: 3,
        channel: 1,
        passwordForm: options.password ? 16 : 20,
      };
    },
    disableUser: async (as, username) => {
      if (behaviour.disableFails) throw new AppError('ERR_IPMI_COMMAND', 'Set User Password: cc D4h');
      disabled.push({ as, username });
      return 2;
    },
  };
  const rotation = new BmcCredentialRotation({
    nodes: env.nodes,
    introspection: env.service,
    credentials,
    events: env.events,
    log,
    settings: { allowNonAlnumPassword: false },
  });
  return { env, node, rotation, calls, disabled };
}

test('rotation stores the proven credentials and answers without the password', async (t) => {
  const h = await setup();
  const answer = await h.rotation.rotate('n1', {});
  t.deepEqual(answer, {
    node: h.node.uuid,
    username: 'inspector',
    uid: 3,
    channel: 1,
    password_form: 20,
    password_generated: true,
    previous_username: 'admin',
    previous_disabled: false,
  });
  t.like(h.calls[0]!.current, { address: '198.18.1.1', port: 6230, username: 'admin', password: 'old' });
  t.like(h.env.nodes.require('n1').driver_info, {
    ipmi_username: 'inspector',
    ipmi_password: 'GeneratedSecret12345',
    ipmi_port: 6230,
  });
  const dump = JSON.stringify(h.env.events.query({}));
  t.false(dump.includes('GeneratedSecret12345'));
  t.false(dump.includes('"old"'));
  const types = h.env.events.query({}).map((e) => e.type);
  t.true(types.includes('ipmi.credentials.rotating'));
  t.true(types.includes('ipmi.credentials.stored'));
});

test('rotation is refused with 409 while the node is under introspection', async (t) => {
  const h = await setup();
  await h.env.service.start('n1', { manageBoot: false });
  const error = await t.throwsAsync(h.rotation.rotate('n1', {}));
  t.is((error as AppError).code, 'ERR_IPMI_NODE_BUSY');
  t.is((error as AppError).status, 409);
  t.is(h.calls.length, 0);
});

test('rotation is refused with 409 while the node lock is held', async (t) => {
  const h = await setup();
  const release = h.env.service.locks.tryAcquire(h.node.uuid)!;
  t.teardown(release);
  const error = await t.throwsAsync(h.rotation.rotate('n1', {}));
  t.is((error as AppError).status, 409);
});

test('a BMC failure leaves driver_info unchanged and emits ipmi.credentials.failed', async (t) => {
  const h = await setup({ fail: new AppError('ERR_IPMI_NO_FREE_USER', 'no free user slot') });
  const error = await t.throwsAsync(h.rotation.rotate('n1', {}));
  t.is((error as AppError).code, 'ERR_IPMI_NO_FREE_USER');
  t.like(h.env.nodes.require('n1').driver_info, { ipmi_username: 'admin', ipmi_password: 'old' });
  t.like(h.env.events.query({}).at(-1), {
    type: 'ipmi.credentials.failed',
    level: 'error',
    data: { code: 'ERR_IPMI_NO_FREE_USER' },
  });
  // The lock is released: a retry reaches the BMC again.
  await t.throwsAsync(h.rotation.rotate('n1', {}));
  t.is(h.calls.length, 2);
});

const badBodies: Array<[string, { username?: string; password?: string }]> = [
  ['a user name with a space', { username: 'a b' }],
  ['a 17-character user name', { username: 'u'.repeat(17) }],
  ['a 21-character password', { password: 'p'.repeat(21) }],
  ['a password with punctuation', { password: 'pa$$word' }],
];
for (const [what, body] of badBodies) {
  test(`rotation refuses ${what} with 400 before the BMC`, async (t) => {
    const h = await setup();
    const error = await t.throwsAsync(h.rotation.rotate('n1', body));
    t.is((error as AppError).status, 400);
    t.is(h.calls.length, 0);
  });
}

test('the operator password is used and disable_previous retires the old user as the new one', async (t) => {
  const h = await setup();
  const answer = await h.rotation.rotate('n1', {
    username: 'ops',
    password: 'Chosen123',
    disablePrevious: true,
  });
  t.is(answer.password_generated, false);
  t.true(answer.previous_disabled);
  t.deepEqual(h.calls[0]!.options, { username: 'ops', password: 'Chosen123' });
  t.like(h.disabled[0], { username: 'admin', as: { username: 'ops', password: 'Chosen123' } });
});

test('a failed disable of the previous user keeps the rotation and reports a warning', async (t) => {
  const h = await setup({ disableFails: true });
  const answer = await h.rotation.rotate('n1', { disablePrevious: true });
  t.false(answer.previous_disabled);
  t.regex(answer.warning ?? '', /disabling "admin" failed/);
  t.is(h.env.nodes.require('n1').driver_info.ipmi_username, 'inspector');
});
