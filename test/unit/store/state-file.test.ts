import test from 'ava';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { isAppError } from '../../../src/core/errors.js';
import { StateFile, writeFileAtomic } from '../../../src/store/state-file.js';
import { captureLog, failingFs, silentLog, tempStateDir } from './support.js';

interface Doc {
  n: number;
}

function decodeDoc(raw: unknown): Doc {
  if (typeof raw !== 'object' || raw === null || typeof (raw as Doc).n !== 'number') {
    throw new Error('n is not a number');
  }
  return raw as Doc;
}

test('writeFileAtomic writes the content with mode 0600 and leaves no temp file', async (t) => {
  const dir = await tempStateDir(t);
  const target = join(dir, 'a.json');
  await writeFileAtomic(target, '{"n":1}');
  t.is(await fsp.readFile(target, 'utf8'), '{"n":1}');
  t.is((await fsp.stat(target)).mode & 0o777, 0o600);
  t.deepEqual(await fsp.readdir(dir), ['a.json']);
});

test('writeFileAtomic keeps the replaced file under backupPath', async (t) => {
  const dir = await tempStateDir(t);
  const target = join(dir, 'a.json');
  await writeFileAtomic(target, 'one', { backupPath: `${target}.bak` });
  t.deepEqual((await fsp.readdir(dir)).sort(), ['a.json'], 'no backup of a file that did not exist');
  await writeFileAtomic(target, 'two', { backupPath: `${target}.bak` });
  t.is(await fsp.readFile(target, 'utf8'), 'two');
  t.is(await fsp.readFile(`${target}.bak`, 'utf8'), 'one');
  t.is((await fsp.stat(`${target}.bak`)).mode & 0o777, 0o600);
});

test('writeFileAtomic failure leaves the target intact and no temp file behind', async (t) => {
  const dir = await tempStateDir(t);
  const target = join(dir, 'a.json');
  await writeFileAtomic(target, 'good');
  const fs = failingFs();
  fs.failing = true;
  const error = await t.throwsAsync(writeFileAtomic(target, 'new', { fs }));
  t.is((error as NodeJS.ErrnoException).code, 'ENOSPC');
  t.is(await fsp.readFile(target, 'utf8'), 'good');
  t.deepEqual(await fsp.readdir(dir), ['a.json']);
});

test('StateFile returns null when neither the file nor its backup exists', async (t) => {
  const dir = await tempStateDir(t);
  const file = new StateFile<Doc>({ log: silentLog }, { path: join(dir, 's.json'), decode: decodeDoc });
  t.is(await file.read(), null);
  t.is(file.source, 'none');
});

test('StateFile writes compact JSON and reads it back', async (t) => {
  const dir = await tempStateDir(t);
  const file = new StateFile<Doc>({ log: silentLog }, { path: join(dir, 's.json'), decode: decodeDoc });
  await file.write({ n: 7 });
  t.is(await fsp.readFile(join(dir, 's.json'), 'utf8'), '{"n":7}');
  t.deepEqual(await file.read(), { n: 7 });
  t.is(file.source, 'main');
});

test('StateFile recovers from the .bak when the main file is not JSON, and says so loudly', async (t) => {
  const dir = await tempStateDir(t);
  const path = join(dir, 's.json');
  await fsp.writeFile(`${path}.bak`, '{"n":1}');
  await fsp.writeFile(path, '{"n":2,"trunc');
  const { log, lines } = captureLog();
  const file = new StateFile<Doc>({ log }, { path, decode: decodeDoc });
  t.deepEqual(await file.read(), { n: 1 });
  t.is(file.source, 'backup');
  const loud = lines.find((l) => l.level >= 50 && l.msg.includes('CORRUPT'));
  t.truthy(loud);
  t.true(loud?.msg.includes(path));
  const names = await fsp.readdir(dir);
  t.true(
    names.some((n) => n.startsWith('s.json.corrupt-')),
    'the corrupt file is kept for a post-mortem',
  );
});

test('StateFile recovers from the .bak when the main file fails validation', async (t) => {
  const dir = await tempStateDir(t);
  const path = join(dir, 's.json');
  await fsp.writeFile(`${path}.bak`, '{"n":1}');
  await fsp.writeFile(path, '{"n":"two"}');
  const file = new StateFile<Doc>({ log: silentLog }, { path, decode: decodeDoc });
  t.deepEqual(await file.read(), { n: 1 });
});

test('StateFile after a recovery does not overwrite the good .bak with the corrupt file', async (t) => {
  const dir = await tempStateDir(t);
  const path = join(dir, 's.json');
  await fsp.writeFile(`${path}.bak`, '{"n":1}');
  await fsp.writeFile(path, 'garbage');
  const file = new StateFile<Doc>({ log: silentLog }, { path, decode: decodeDoc });
  await file.read();
  await file.write({ n: 3 });
  t.is(await fsp.readFile(`${path}.bak`, 'utf8'), '{"n":1}');
  await file.write({ n: 4 });
  t.is(await fsp.readFile(`${path}.bak`, 'utf8'), '{"n":3}', 'normal backups resume after one good write');
});

test('StateFile fails with ERR_STORE_CORRUPT naming the file when main and .bak are both bad', async (t) => {
  const dir = await tempStateDir(t);
  const path = join(dir, 's.json');
  await fsp.writeFile(path, '');
  await fsp.writeFile(`${path}.bak`, '{"n":null}');
  const file = new StateFile<Doc>({ log: silentLog }, { path, decode: decodeDoc });
  const error = await t.throwsAsync(file.read());
  t.true(isAppError(error));
  t.is((error as { code?: string }).code, 'ERR_STORE_CORRUPT');
  t.true(error?.message.includes(path));
  t.is(await fsp.readFile(path, 'utf8'), '', 'the corrupt file is left in place');
});

test('StateFile fails with ERR_STORE_CORRUPT when the main file is bad and there is no .bak', async (t) => {
  const dir = await tempStateDir(t);
  const path = join(dir, 's.json');
  await fsp.writeFile(path, '[');
  const file = new StateFile<Doc>({ log: silentLog }, { path, decode: decodeDoc });
  const error = await t.throwsAsync(file.read());
  t.is((error as { code?: string }).code, 'ERR_STORE_CORRUPT');
});

test('StateFile loads the .bak when the main file was removed', async (t) => {
  const dir = await tempStateDir(t);
  const path = join(dir, 's.json');
  await fsp.writeFile(`${path}.bak`, '{"n":5}');
  const file = new StateFile<Doc>({ log: silentLog }, { path, decode: decodeDoc });
  t.deepEqual(await file.read(), { n: 5 });
  t.is(file.source, 'backup');
});

test('StateFile removes temp files left by an interrupted write', async (t) => {
  const dir = await tempStateDir(t);
  const path = join(dir, 's.json');
  await fsp.writeFile(join(dir, '.s.json.123.1.abcd.tmp'), '{"n":');
  await fsp.writeFile(join(dir, 'other.tmp'), 'not ours');
  const file = new StateFile<Doc>({ log: silentLog }, { path, decode: decodeDoc });
  await file.read();
  t.deepEqual((await fsp.readdir(dir)).sort(), ['other.tmp']);
});
