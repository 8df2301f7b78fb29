// node power on|off|cycle|status, node bootdev and node rotate-credentials over the REST routes.
import test from 'ava';
import { FakeApi, NODE_UUID, cli } from './fake-api.js';

const powerCases: Array<[string, string]> = [
  ['on', 'power on'],
  ['off', 'power off'],
  ['cycle', 'rebooting'],
];
for (const [action, target] of powerCases) {
  test(`node power ${action} sends PUT states/power with target "${target}"`, async (t) => {
    const fake = await new FakeApi().on(`PUT /v1/nodes/n1/states/power`, { status: 202, body: {} }).start();
    t.teardown(() => fake.stop());
    const r = await cli(['node', 'power', action, 'n1', '--url', fake.url]);
    t.is(r.code, 0, r.stderr);
    t.deepEqual(fake.lines(), ['PUT /v1/nodes/n1/states/power']);
    t.deepEqual(JSON.parse(fake.requests[0]!.body), { target });
    t.regex(r.stdout, /^n1: .* sent to the BMC\n$/);
  });
}

test('node power status prints the power state', async (t) => {
  const fake = await new FakeApi()
    .on(`GET /v1/nodes/${NODE_UUID}/states`, { body: { power_state: 'power on', target_power_state: null } })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['node', 'power', 'status', NODE_UUID, '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'power on\n');
  const j = await cli(['node', 'power', 'status', NODE_UUID, '--format', 'json', '--url', fake.url]);
  t.deepEqual(JSON.parse(j.stdout), { power_state: 'power on', target_power_state: null });
});

test('node power with an unknown action is a usage error', async (t) => {
  const r = await cli(['node', 'power', 'explode', 'n1']);
  t.is(r.code, 2);
  t.regex(r.stderr, /Invalid values/);
});

test('node power relays a BMC error as exit 1 with the API message', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/nodes/n1/states', {
      status: 400,
      body: { error: { message: 'BMC 198.18.0.2:623: RAKP2: unauthorized name' } },
    })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['node', 'power', 'status', 'n1', '--url', fake.url]);
  t.is(r.code, 1);
  t.regex(r.stderr, /RAKP2: unauthorized name/);
});

test('node bootdev sends the device, next boot only by default', async (t) => {
  const fake = await new FakeApi()
    .on('PUT /v1/nodes/n1/management/boot_device', { status: 204, body: '' })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['node', 'bootdev', 'n1', 'pxe', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(fake.requests[0]!.body), { boot_device: 'pxe', persistent: false });
  t.is(r.stdout, 'n1: boot device pxe (next boot only)\n');
});

test('node bootdev --persistent sends persistent true', async (t) => {
  const fake = await new FakeApi()
    .on('PUT /v1/nodes/n1/management/boot_device', { status: 204, body: '' })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['node', 'bootdev', 'n1', 'pxe', '--persistent', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(fake.requests[0]!.body), { boot_device: 'pxe', persistent: true });
});

test('node bootdev refuses an unknown device before sending', async (t) => {
  const r = await cli(['node', 'bootdev', 'n1', 'floppy']);
  t.is(r.code, 2);
});

const ROTATED = {
  node: NODE_UUID,
  username: 'inspector',
  uid: 3,
  channel: 1,
  password_form: 20,
  password_generated: true,
  previous_username: 'admin',
  previous_disabled: false,
};

test('node rotate-credentials posts an empty body by default and prints the new user', async (t) => {
  const fake = await new FakeApi().on('POST /v1/nodes/n1/bmc/credentials', { body: ROTATED }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['node', 'rotate-credentials', 'n1', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(fake.requests[0]!.body), {});
  t.regex(r.stdout, /\| username +\| inspector/);
  t.regex(r.stdout, /never shown/);
});

test('node rotate-credentials sends the chosen user, password and --disable-previous', async (t) => {
  const fake = await new FakeApi()
    .on('POST /v1/nodes/n1/bmc/credentials', { body: { ...ROTATED, password_generated: false } })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(
    ['node', 'rotate-credentials', 'n1', '--new-username', 'ops', '--disable-previous', '--url', fake.url],
    { env: { INSPECTORD_NEW_BMC_PASSWORD: 'Secret123' } },
  );
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(fake.requests[0]!.body), {
    username: 'ops',
    disable_previous: true,
    password: 'Secret123',
  });
  t.false(r.stdout.includes('Secret123'));
});
