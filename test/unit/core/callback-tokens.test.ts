import test, { type ExecutionContext } from 'ava';
import { AppError, type ErrorCode } from '../../../src/core/errors.js';
import { coreEnv, ipaInventory } from '../../helpers/core-env.js';

const MAC_A = '52:54:00:12:34:56';
const MAC_B = '52:54:00:12:34:57';

async function twoNodesUnderIntrospection(mode: 'token' | 'token_or_discovery' = 'token') {
  const env = coreEnv({ tokens: { mode } });
  const a = await env.nodes.create({ name: 'a' }, { ports: [{ address: MAC_A }] });
  const b = await env.nodes.create({ name: 'b' }, { ports: [{ address: MAC_B }] });
  await env.service.start(a.uuid, { manageBoot: false });
  await env.service.start(b.uuid, { manageBoot: false });
  return { env, a, b, tokens: env.tokens! };
}

async function refused(t: ExecutionContext, promise: Promise<unknown>, code: ErrorCode, text: RegExp) {
  const error = await t.throwsAsync(promise);
  t.true(error instanceof AppError);
  t.is((error as AppError).code, code);
  t.regex(error!.message, text);
  return error as AppError;
}

test('a minted token lets its node call back once, as header option or body field', async (t) => {
  const { env, a, b, tokens } = await twoNodesUnderIntrospection();
  const tokenA = tokens.mint(a.uuid, MAC_A)!;
  t.regex(tokenA, /^[A-Za-z0-9_-]{32}$/);
  const result = await env.service.continue(ipaInventory(MAC_A), { token: tokenA });
  t.is(result.uuid, a.uuid);
  const tokenB = tokens.mint(b.uuid)!;
  t.is((await env.service.continue({ ...ipaInventory(MAC_B), token: tokenB })).uuid, b.uuid);
  // The token is a credential: it is not kept with the data.
  t.false((await env.blobs.getData(b.uuid, 'unprocessed'))!.includes(tokenB));
  t.false(JSON.stringify(env.store.doc).includes(tokenA));
});

test('a callback without a token is refused with a message naming the option, leaving no trace', async (t) => {
  const { env, a } = await twoNodesUnderIntrospection();
  const error = await refused(
    t,
    env.service.continue(ipaInventory(MAC_A)),
    'ERR_CALLBACK_TOKEN_MISSING',
    /callback_auth/,
  );
  t.is(error.status, 401);
  t.is(await env.blobs.getData(a.uuid, 'unprocessed'), null);
  t.is(env.service.status(a.uuid).state, 'waiting');
  const event = env.events.events.find((e) => e.type === 'callback.refused');
  t.is(event?.mac, MAC_A);
});

test('a used token is refused and the finished data stays as it was', async (t) => {
  const { env, a, tokens } = await twoNodesUnderIntrospection();
  const token = tokens.mint(a.uuid)!;
  await env.service.continue(ipaInventory(MAC_A), { token });
  const before = await env.blobs.getData(a.uuid, 'unprocessed');
  await refused(
    t,
    env.service.continue(ipaInventory(MAC_A, { extra: 'replayed' }), { token }),
    'ERR_CALLBACK_TOKEN_INVALID',
    /already used/,
  );
  t.is(await env.blobs.getData(a.uuid, 'unprocessed'), before);
});

test("another node's token is refused and neither node gets the data", async (t) => {
  const { env, a, b, tokens } = await twoNodesUnderIntrospection();
  const tokenA = tokens.mint(a.uuid)!;
  await refused(
    t,
    env.service.continue(ipaInventory(MAC_B), { token: tokenA }),
    'ERR_CALLBACK_TOKEN_INVALID',
    new RegExp(`belongs to node ${a.uuid}.*node ${b.uuid}`),
  );
  t.is(await env.blobs.getData(a.uuid, 'unprocessed'), null);
  t.is(await env.blobs.getData(b.uuid, 'unprocessed'), null);
  t.is(env.service.status(b.uuid).state, 'waiting');
});

test('an unknown token and a token of a superseded introspection are refused', async (t) => {
  const { env, a, tokens } = await twoNodesUnderIntrospection();
  await refused(
    t,
    env.service.continue(ipaInventory(MAC_A), { token: 'x'.repeat(32) }),
    'ERR_CALLBACK_TOKEN_INVALID',
    /unknown/,
  );
  const old = tokens.mint(a.uuid)!;
  await env.service.abort(a.uuid);
  await env.service.start(a.uuid, { manageBoot: false });
  await refused(
    t,
    env.service.continue(ipaInventory(MAC_A), { token: old }),
    'ERR_CALLBACK_TOKEN_INVALID',
    /unknown|superseded/,
  );
});

test('a token expires with the introspection window', async (t) => {
  const env = coreEnv({ tokens: { mode: 'token', timeout: 60 } });
  const a = await env.nodes.create({ name: 'a' }, { ports: [{ address: MAC_A }] });
  await env.service.start(a.uuid, { manageBoot: false });
  const token = env.tokens!.mint(a.uuid)!;
  env.clock.advance(61_000);
  await refused(
    t,
    env.service.continue(ipaInventory(MAC_A), { token }),
    'ERR_CALLBACK_TOKEN_INVALID',
    /expired/,
  );
});

test('re-rendering keeps earlier tokens of the same run valid, up to a cap', async (t) => {
  const { env, a, tokens } = await twoNodesUnderIntrospection();
  const first = tokens.mint(a.uuid)!;
  for (let i = 0; i < 3; i++) tokens.mint(a.uuid);
  t.is((await env.service.continue(ipaInventory(MAC_A), { token: first })).uuid, a.uuid);
});

test('no token is minted for a node that is not waiting for its ramdisk', async (t) => {
  const { env, a, tokens } = await twoNodesUnderIntrospection();
  const other = await env.nodes.create({ name: 'idle' }, { ports: [{ address: '52:54:00:00:00:01' }] });
  t.is(tokens.mint(other.uuid), undefined);
  await env.service.abort(a.uuid);
  t.is(tokens.mint(a.uuid), undefined);
});

test('token_or_discovery: a tokenless post for a node under introspection is refused', async (t) => {
  const { env } = await twoNodesUnderIntrospection('token_or_discovery');
  await refused(
    t,
    env.service.continue(ipaInventory(MAC_A)),
    'ERR_CALLBACK_TOKEN_MISSING',
    /under introspection/,
  );
});

test('token_or_discovery: tokenless posts of unknown machines pass the gate, rate-limited', async (t) => {
  const env = coreEnv({ tokens: { mode: 'token_or_discovery', discoveryRatePerMinute: 2 } });
  const unknown = (i: number) => ipaInventory(`52:54:00:aa:00:0${i}`);
  // No enrol hook here: passing the gate means reaching lookup (400 not found), not 401/503.
  for (const i of [1, 2]) {
    await refused(t, env.service.continue(unknown(i)), 'ERR_LOOKUP_NOT_FOUND', /./);
  }
  const limited = await refused(t, env.service.continue(unknown(3)), 'ERR_CALLBACK_RATE_LIMITED', /2\/min/);
  t.is(limited.status, 503);
  env.clock.advance(30_000);
  await refused(t, env.service.continue(unknown(4)), 'ERR_LOOKUP_NOT_FOUND', /./);
});

test('mode none accepts tokenless callbacks and mints nothing', async (t) => {
  const env = coreEnv({ tokens: { mode: 'none' } });
  const a = await env.nodes.create({ name: 'a' }, { ports: [{ address: MAC_A }] });
  await env.service.start(a.uuid, { manageBoot: false });
  t.is(env.tokens!.mint(a.uuid), undefined);
  t.is((await env.service.continue(ipaInventory(MAC_A))).uuid, a.uuid);
});

test('nodes enrolled by BMC address only: a token for an unknown MAC serves whichever boots, once', async (t) => {
  const env = coreEnv({ tokens: { mode: 'token' } });
  const x = await env.nodes.create({ name: 'x', driver_info: { ipmi_address: '198.18.1.1' } });
  const y = await env.nodes.create({ name: 'y', driver_info: { ipmi_address: '198.18.1.2' } });
  await env.service.start(x.uuid, { manageBoot: false });
  await env.service.start(y.uuid, { manageBoot: false });
  const token = env.tokens!.mintForMacless(MAC_A)!;
  t.truthy(token);
  t.is((await env.service.continue(ipaInventory(MAC_A), { token })).uuid, x.uuid);
  const forY = ipaInventory(MAC_B);
  (forY.inventory as Record<string, unknown>).bmc_address = '198.18.1.2';
  await refused(
    t,
    env.service.continue(forY, { token }),
    'ERR_CALLBACK_TOKEN_INVALID',
    /already used|unknown/,
  );
  t.is(env.service.status(y.uuid).state, 'waiting');
});

test('no token is minted for an unknown MAC when every waiting node has a known MAC', async (t) => {
  const { tokens } = await twoNodesUnderIntrospection();
  t.is(tokens.mintForMacless('52:54:00:00:00:99'), undefined);
});
