import test, { type ExecutionContext } from 'ava';
import Fastify from 'fastify';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { EventInput } from '../../../src/core/events.js';
import { registerHttpBoot } from '../../../src/http-boot/routes.js';
import { PathJail } from '../../../src/tftp/jail.js';

async function setup(t: ExecutionContext) {
  const base = await mkdtemp(path.join(tmpdir(), 'httpboot-'));
  const root = path.join(base, 'root');
  await import('node:fs/promises').then((fs) => fs.mkdir(root));
  const data = randomBytes(300_000);
  await writeFile(path.join(root, 'kernel'), data);
  await writeFile(path.join(base, 'secret'), 'x');
  await symlink(path.join(base, 'secret'), path.join(root, 'out'));
  const events: EventInput[] = [];
  const app = Fastify();
  registerHttpBoot(app, {
    files: new PathJail(root),
    renderIpxe: (mac, client) =>
      mac === '52:54:00:12:34:56' ? `#!ipxe\necho ${mac} ${client.address}\n` : null,
    events: { emit: (e) => events.push(e) },
    log: pino({ level: 'silent' }),
  });
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await rm(base, { recursive: true, force: true });
  });
  return { app, data, events };
}

test('GET a boot file returns it whole with content-length and accept-ranges', async (t) => {
  const { app, data, events } = await setup(t);
  const res = await app.inject({ method: 'GET', url: '/boot/files/kernel' });
  t.is(res.statusCode, 200);
  t.is(res.headers['content-length'], String(data.length));
  t.is(res.headers['accept-ranges'], 'bytes');
  t.true(res.rawPayload.equals(data));
  t.like(events.at(-1), {
    type: 'http.fetch',
    data: { file: 'kernel', bytes: data.length, outcome: 'complete' },
  });
});

test('Range request gets 206 with the exact bytes and content-range', async (t) => {
  const { app, data, events } = await setup(t);
  const res = await app.inject({
    method: 'GET',
    url: '/boot/files/kernel',
    headers: { range: 'bytes=1000-1999' },
  });
  t.is(res.statusCode, 206);
  t.is(res.headers['content-range'], `bytes 1000-1999/${data.length}`);
  t.true(res.rawPayload.equals(data.subarray(1000, 2000)));
  t.like(events.at(-1)?.data, { range: '1000-1999', bytes: 1000 });
});

test('unsatisfiable Range gets 416 with bytes */size', async (t) => {
  const { app, data } = await setup(t);
  const res = await app.inject({
    method: 'GET',
    url: '/boot/files/kernel',
    headers: { range: `bytes=${data.length}-` },
  });
  t.is(res.statusCode, 416);
  t.is(res.headers['content-range'], `bytes */${data.length}`);
});

test('HEAD gives the length without a body', async (t) => {
  const { app, data } = await setup(t);
  const res = await app.inject({ method: 'HEAD', url: '/boot/files/kernel' });
  t.is(res.statusCode, 200);
  t.is(res.headers['content-length'], String(data.length));
  t.is(res.rawPayload.length, 0);
});

test('traversal and symlink escape are refused through the jail', async (t) => {
  const { app } = await setup(t);
  t.is((await app.inject({ method: 'GET', url: '/boot/files/out' })).statusCode, 403);
  t.is((await app.inject({ method: 'GET', url: '/boot/files/..%2f..%2fetc%2fpasswd' })).statusCode, 403);
  t.is((await app.inject({ method: 'GET', url: '/boot/files/missing' })).statusCode, 404);
});

test('per-MAC iPXE script is rendered by the hook, any MAC notation', async (t) => {
  const { app, events } = await setup(t);
  const res = await app.inject({ method: 'GET', url: '/boot/ipxe/52-54-00-12-34-56.ipxe' });
  t.is(res.statusCode, 200);
  t.is(res.body, '#!ipxe\necho 52:54:00:12:34:56 127.0.0.1\n');
  t.like(events.at(-1), { type: 'http.fetch', mac: '52:54:00:12:34:56' });
});

test('unknown MAC or bad script name is 404', async (t) => {
  const { app } = await setup(t);
  t.is((await app.inject({ method: 'GET', url: '/boot/ipxe/52-54-00-00-00-01.ipxe' })).statusCode, 404);
  t.is((await app.inject({ method: 'GET', url: '/boot/ipxe/boot.ipxe' })).statusCode, 404);
});
