// health: GET /healthz, and --wait as the unit's readiness check (waits while the daemon starts).
import test from 'ava';
import { FakeApi, cli, type Reply } from './fake-api.js';

const starting: Reply = {
  status: 503,
  body: { status: 'starting', reasons: ['startup: network boot (PXE filter, DHCP, TFTP) is not up yet'] },
};

test('health --wait keeps waiting while the daemon is starting, then reports ok', async (t) => {
  const replies: Reply[] = [starting, starting, { body: { status: 'ok' } }];
  const fake = await new FakeApi()
    .on('GET /healthz', () => replies.shift() ?? { body: { status: 'ok' } })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['health', '--wait', '10', '--allow-unhealthy', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'ok\n');
  t.is(fake.requests.length, 3);
});

test('health without --wait reports a starting daemon as not healthy (exit 1)', async (t) => {
  const fake = await new FakeApi().on('GET /healthz', starting).start();
  t.teardown(() => fake.stop());
  const r = await cli(['health', '--url', fake.url]);
  t.is(r.code, 1);
  t.regex(r.stdout, /startup: network boot/);
});
