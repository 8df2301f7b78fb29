// Global CLI behaviour: connection options, auth, version header, error mapping and exit codes,
// usage errors, help, and the serve hook.
import test from 'ava';
import { createServer } from 'node:net';
import { FakeApi, NODE_UUID, cli, statusBody } from './fake-api.js';

async function api(): Promise<FakeApi> {
  return new FakeApi().on(`GET /v1/introspection/${NODE_UUID}`, { body: statusBody() }).start();
}

test('--url reaches the daemon and sends the API version header', async (t) => {
  const fake = await api();
  t.teardown(() => fake.stop());
  const r = await cli(['status', NODE_UUID, '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.is(fake.requests.length, 1);
  t.is(fake.requests[0]!.headers['x-openstack-ironic-inspector-api-version'], '1.18');
  t.is(fake.requests[0]!.headers.authorization, undefined);
});

test('INSPECTORD_URL is used when --url is absent', async (t) => {
  const fake = await api();
  t.teardown(() => fake.stop());
  const r = await cli(['status', NODE_UUID], { env: { INSPECTORD_URL: fake.url } });
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.lines(), [`GET /v1/introspection/${NODE_UUID}`]);
});

test('a URL ending in /v1 is accepted like the reference client does', async (t) => {
  const fake = await api();
  t.teardown(() => fake.stop());
  const r = await cli(['status', NODE_UUID, '--url', `${fake.url}/v1/`]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.lines(), [`GET /v1/introspection/${NODE_UUID}`]);
});

test('--user/--password send HTTP basic credentials', async (t) => {
  const fake = await api();
  t.teardown(() => fake.stop());
  const r = await cli(['status', NODE_UUID, '--url', fake.url, '--user', 'admin', '--password', 's3cret:x']);
  t.is(r.code, 0, r.stderr);
  t.is(fake.requests[0]!.headers.authorization, `Basic ${Buffer.from('admin:s3cret:x').toString('base64')}`);
});

test('INSPECTORD_USER/INSPECTORD_PASSWORD send HTTP basic credentials', async (t) => {
  const fake = await api();
  t.teardown(() => fake.stop());
  const r = await cli(['status', NODE_UUID, '--url', fake.url], {
    env: { INSPECTORD_USER: 'u', INSPECTORD_PASSWORD: 'p' },
  });
  t.is(r.code, 0, r.stderr);
  t.is(fake.requests[0]!.headers.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
});

test('--user without a password is a usage error (exit 2) and sends nothing', async (t) => {
  const fake = await api();
  t.teardown(() => fake.stop());
  const r = await cli(['status', NODE_UUID, '--url', fake.url, '--user', 'admin']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--user and --password go together/);
  t.is(fake.requests.length, 0);
});

test('an API error prints the message of the error body and exits 1', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/introspection/nope', {
      status: 404,
      body: { error: { message: 'Could not find node nope in cache' } },
    })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['status', 'nope', '--url', fake.url]);
  t.is(r.code, 1);
  t.is(r.stderr, 'error: Could not find node nope in cache\n');
  t.is(r.stdout, '');
});

test('a non-JSON error body is shown raw', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/introspection/x', { status: 502, body: 'Bad gateway from proxy', contentType: 'text/plain' })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['status', 'x', '--url', fake.url]);
  t.is(r.code, 1);
  t.is(r.stderr, 'error: Bad gateway from proxy\n');
});

test('a JSON error without error.message hints that the URL may be wrong', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/introspection/x', { status: 400, body: { error_message: 'ironic' } })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['status', 'x', '--url', fake.url]);
  t.is(r.code, 1);
  t.regex(r.stderr, /HTTP 400 .*does the URL point at inspectord/);
});

test('401 without credentials suggests --user/--password', async (t) => {
  const fake = await new FakeApi()
    .on('GET /v1/introspection/x', { status: 401, body: { error: { message: 'Authentication required' } } })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['status', 'x', '--url', fake.url]);
  t.is(r.code, 1);
  t.regex(r.stderr, /^error: Authentication required \(give --user\/--password/);
});

test('an unreachable daemon exits 3 with a message naming the URL', async (t) => {
  // Reserve a free port, then close it so that nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const r = await cli(['list', '--url', url]);
  t.is(r.code, 3);
  t.regex(
    r.stderr,
    new RegExp(`^error: cannot reach inspectord at ${url.replace(/[.]/g, '\\.')}: .*ECONNREFUSED`),
  );
});

test('an invalid --url is a usage error', async (t) => {
  const r = await cli(['list', '--url', 'not a url']);
  t.is(r.code, 2);
  t.regex(r.stderr, /is not a URL/);
});

test('credentials inside --url are a usage error that does not echo the password', async (t) => {
  const r = await cli(['list', '--url', 'http://admin:s3cret@127.0.0.1:5050']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--url must not hold a user name or password/);
  t.false(r.stderr.includes('s3cret'));
});

test('an unknown command is a usage error (exit 2)', async (t) => {
  const r = await cli(['frobnicate']);
  t.is(r.code, 2);
  t.regex(r.stderr, /^error: Unknown argument: frobnicate/);
});

test('no command at all is a usage error', async (t) => {
  const r = await cli([]);
  t.is(r.code, 2);
  t.regex(r.stderr, /give a command/);
});

test('a missing positional is a usage error', async (t) => {
  const r = await cli(['status']);
  t.is(r.code, 2);
  t.regex(r.stderr, /Not enough non-option arguments/);
});

test('an unknown option is a usage error', async (t) => {
  const r = await cli(['list', '--bogus']);
  t.is(r.code, 2);
  t.regex(r.stderr, /Unknown argument: bogus/);
});

test('--format accepts only table and json', async (t) => {
  const r = await cli(['list', '--format', 'xml']);
  t.is(r.code, 2);
  t.regex(r.stderr, /Invalid values/);
});

test('--help prints usage to stdout and exits 0', async (t) => {
  const r = await cli(['--help']);
  t.is(r.code, 0);
  for (const verb of [
    'serve',
    'introspect',
    'status',
    'list',
    'abort',
    'reprocess',
    'data',
    'rule',
    'interface',
    'node',
    'events',
    'discovery',
  ])
    t.regex(r.stdout, new RegExp(`inspectord ${verb}`));
  t.is(r.stderr, '');
});

test('a subcommand --help prints that command usage', async (t) => {
  const r = await cli(['node', 'add', '--help']);
  t.is(r.code, 0);
  t.regex(r.stdout, /--ipmi-address/);
});

test('serve passes the default config path and no overrides to the hook', async (t) => {
  const r = await cli(['serve']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.served, [{ config: '/etc/inspectord/inspector.conf', set: [] }]);
});

test('serve passes --config and repeated --set to the hook', async (t) => {
  const r = await cli([
    'serve',
    '--config',
    '/tmp/x.conf',
    '--set',
    'DEFAULT.listen_port=6000',
    '--set',
    'dhcp.enabled=false',
  ]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.served, [{ config: '/tmp/x.conf', set: ['DEFAULT.listen_port=6000', 'dhcp.enabled=false'] }]);
});

test('serve rejects a malformed --set', async (t) => {
  const r = await cli(['serve', '--set', 'listen_port']);
  t.is(r.code, 2);
  t.deepEqual(r.served, []);
  t.regex(r.stderr, /section\.option=value/);
});
