import test from 'ava';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { FileBlobStore, isSafeFileName } from '../../../src/store/blobs.js';
import { failingFs, silentLog, tempStateDir } from './support.js';

const UUID = '3b4e8c5a-1f2d-4e6a-9b7c-0d1e2f3a4b5c';

test('processed and unprocessed data round trip as separate 0600 files', async (t) => {
  const stateDir = await tempStateDir(t);
  const blobs = new FileBlobStore({ log: silentLog }, { stateDir });
  await blobs.putData(UUID, 'unprocessed', '{"inventory":{}}');
  await blobs.putData(UUID, 'processed', '{"cpus":4}');
  t.is(await blobs.getData(UUID, 'unprocessed'), '{"inventory":{}}');
  t.is(await blobs.getData(UUID, 'processed'), '{"cpus":4}');
  const dir = join(stateDir, 'introspection', UUID);
  t.deepEqual((await fsp.readdir(dir)).sort(), ['processed.json', 'unprocessed.json']);
  t.is((await fsp.stat(join(dir, 'processed.json'))).mode & 0o777, 0o600);
  t.is((await fsp.stat(dir)).mode & 0o777, 0o700);
});

test('missing data reads as null', async (t) => {
  const blobs = new FileBlobStore({ log: silentLog }, { stateDir: await tempStateDir(t) });
  t.is(await blobs.getData(UUID, 'processed'), null);
  t.is(await blobs.getPreviousData(UUID), null);
});

test('overwriting processed data keeps the previous one as processed.prev.json', async (t) => {
  const stateDir = await tempStateDir(t);
  const blobs = new FileBlobStore({ log: silentLog }, { stateDir });
  await blobs.putData(UUID, 'processed', '{"run":1}');
  t.is(await blobs.getPreviousData(UUID), null);
  await blobs.putData(UUID, 'processed', '{"run":2}');
  await blobs.putData(UUID, 'processed', '{"run":3}');
  t.is(await blobs.getData(UUID, 'processed'), '{"run":3}');
  t.is(await blobs.getPreviousData(UUID), '{"run":2}');
});

test('overwriting unprocessed data keeps no previous copy', async (t) => {
  const stateDir = await tempStateDir(t);
  const blobs = new FileBlobStore({ log: silentLog }, { stateDir });
  await blobs.putData(UUID, 'unprocessed', 'a');
  await blobs.putData(UUID, 'unprocessed', 'b');
  t.deepEqual(await fsp.readdir(join(stateDir, 'introspection', UUID)), ['unprocessed.json']);
});

test('10 MiB of data round trips', async (t) => {
  const blobs = new FileBlobStore({ log: silentLog }, { stateDir: await tempStateDir(t) });
  const big = JSON.stringify({ blob: 'x'.repeat(10 * 1024 * 1024) });
  await blobs.putData(UUID, 'unprocessed', big);
  t.is(await blobs.getData(UUID, 'unprocessed'), big);
});

test('deleteData removes every file of the node', async (t) => {
  const stateDir = await tempStateDir(t);
  const blobs = new FileBlobStore({ log: silentLog }, { stateDir });
  await blobs.putData(UUID, 'processed', '1');
  await blobs.putData(UUID, 'processed', '2');
  await blobs.deleteData(UUID);
  t.is(await blobs.getData(UUID, 'processed'), null);
  t.is(await blobs.getPreviousData(UUID), null);
  await t.notThrowsAsync(blobs.deleteData(UUID), 'deleting twice is fine');
});

test('data is written again after deleteData removed the node directory', async (t) => {
  const stateDir = await tempStateDir(t);
  const blobs = new FileBlobStore({ log: silentLog }, { stateDir });
  await blobs.putData(UUID, 'processed', '{"a":1}');
  await blobs.deleteData(UUID);
  await blobs.putData(UUID, 'processed', '{"a":2}');
  t.is(await blobs.getData(UUID, 'processed'), '{"a":2}');
  t.is((await fsp.stat(join(stateDir, 'introspection', UUID))).mode & 0o777, 0o700);
});

test('a node directory removed behind the store is created again on the next write', async (t) => {
  const stateDir = await tempStateDir(t);
  const blobs = new FileBlobStore({ log: silentLog }, { stateDir });
  await blobs.putData(UUID, 'unprocessed', '{"a":1}');
  await fsp.rm(join(stateDir, 'introspection'), { recursive: true });
  await blobs.putData(UUID, 'unprocessed', '{"a":2}');
  t.is(await blobs.getData(UUID, 'unprocessed'), '{"a":2}');
  const logs = join(stateDir, 'logs');
  await blobs.putRamdiskLogs(logs, 'one.tar.gz', Buffer.from('1'));
  await fsp.rm(logs, { recursive: true });
  t.is(await blobs.putRamdiskLogs(logs, 'two.tar.gz', Buffer.from('2')), join(logs, 'two.tar.gz'));
  t.deepEqual(await fsp.readdir(logs), ['two.tar.gz']);
});

test('only the first write into a directory creates it and fsyncs its parent', async (t) => {
  const stateDir = await tempStateDir(t);
  const opened: string[] = [];
  const fs = {
    ...fsp,
    open: ((path: string, ...rest: unknown[]) => {
      opened.push(path);
      return (fsp.open as (...a: unknown[]) => unknown)(path, ...rest);
    }) as typeof fsp.open,
  };
  const blobs = new FileBlobStore({ log: silentLog }, { stateDir, fs });
  const root = join(stateDir, 'introspection');
  await blobs.putData(UUID, 'unprocessed', '{}');
  t.true(opened.includes(root), 'the new directory is made durable in its parent');
  opened.length = 0;
  await blobs.putData(UUID, 'processed', '{}');
  t.false(opened.includes(root));
});

test('a failed data write is ERR_STORE_DATA_WRITE naming the errno and keeps the previous file', async (t) => {
  const fs = failingFs();
  const blobs = new FileBlobStore({ log: silentLog }, { stateDir: await tempStateDir(t), fs });
  await blobs.putData(UUID, 'processed', 'old');
  fs.failing = true;
  const error = await t.throwsAsync(blobs.putData(UUID, 'processed', 'new'), {
    code: 'ERR_STORE_DATA_WRITE',
  });
  t.regex(error?.message ?? '', /ENOSPC/);
  t.is(await blobs.getData(UUID, 'processed'), 'old');
});

test('a node uuid that is not a plain file name is refused', async (t) => {
  const blobs = new FileBlobStore({ log: silentLog }, { stateDir: await tempStateDir(t) });
  for (const bad of ['../etc', 'a/b', '..', '']) {
    await t.throwsAsync(blobs.putData(bad, 'processed', '{}'), { code: 'ERR_STORE_BAD_NAME' }, bad);
  }
});

test('putRamdiskLogs writes a 0600 file into a directory it creates and returns its path', async (t) => {
  const stateDir = await tempStateDir(t);
  const blobs = new FileBlobStore({ log: silentLog }, { stateDir });
  const dir = join(stateDir, 'ramdisk-logs', 'deep');
  const path = await blobs.putRamdiskLogs(dir, 'node_20250101-000000.000000.tar.gz', Buffer.from([1, 2, 3]));
  t.is(path, join(dir, 'node_20250101-000000.000000.tar.gz'));
  t.deepEqual(await fsp.readFile(path), Buffer.from([1, 2, 3]));
  t.is((await fsp.stat(path)).mode & 0o777, 0o600);
});

const badNames: Array<[string, string]> = [
  ['slash', 'a/b.tar.gz'],
  ['parent', '..'],
  ['dot-dot inside', 'x..tar.gz'],
  ['traversal', '../../etc/passwd'],
  ['empty', ''],
  ['NUL', 'a\0b'],
];
for (const [what, name] of badNames) {
  test(`putRamdiskLogs refuses a file name with ${what}`, async (t) => {
    const stateDir = await tempStateDir(t);
    const blobs = new FileBlobStore({ log: silentLog }, { stateDir });
    await t.throwsAsync(blobs.putRamdiskLogs(stateDir, name, Buffer.from('x')), {
      code: 'ERR_STORE_BAD_NAME',
    });
  });
}

test('isSafeFileName accepts the reference log file name format', (t) => {
  t.true(isSafeFileName('bmc_10.0.0.1_20250101-120000.123456.tar.gz'));
});
