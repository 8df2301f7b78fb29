// http_basic auth against a bcrypt htpasswd file: protected routes need valid credentials,
// the reference's public routes stay open.
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { api, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';

let daemon: DaemonHandle;
let dir: string;
const basic = (user: string, password: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inspectord-auth-'));
  const file = join(dir, 'htpasswd');
  // htpasswd -B writes $2y$ hashes; accept that prefix.
  await writeFile(file, `# users\nadmin:${bcrypt.hashSync('s3cret', 4).replace(/^\$2[ab]\$/, '$2y$')}\n`);
  daemon = await startDaemon({ DEFAULT: { auth_strategy: 'http_basic', http_basic_auth_user_file: file } });
});
test.after.always(async () => {
  await daemon?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

test('protected routes are 401 without or with wrong credentials, 200 with the right ones', async (t) => {
  const none = await api(daemon.url, 'GET', '/v1/introspection');
  t.is(none.status, 401);
  t.regex((none.json as { error: { message: string } }).error.message, /Authentication required/);
  t.truthy(none.headers.get('www-authenticate'));
  t.is((await api(daemon.url, 'GET', '/v1/introspection', undefined, basic('admin', 'wrong'))).status, 401);
  t.is((await api(daemon.url, 'GET', '/v1/introspection', undefined, basic('nobody', 's3cret'))).status, 401);
  t.is((await api(daemon.url, 'GET', '/v1/introspection', undefined, basic('admin', 's3cret'))).status, 200);
  t.is((await api(daemon.url, 'POST', '/v1/nodes', { name: 'x' })).status, 401);
  t.is((await api(daemon.url, 'GET', '/v1/rules', undefined, { 'X-Auth-Token': 'notused' })).status, 401);
});

test('/, /v1 and /v1/continue stay public', async (t) => {
  t.is((await api(daemon.url, 'GET', '/')).status, 200);
  t.is((await api(daemon.url, 'GET', '/v1')).status, 200);
  const callback = await api(daemon.url, 'POST', '/v1/continue', { inventory: { interfaces: [] } });
  t.is(callback.status, 400, 'reaches the handler (400 for the empty inventory), not 401');
});
