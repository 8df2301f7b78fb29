import test from 'ava';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { normalizeRequestPath, PathJail } from '../../../src/tftp/jail.js';

const lexical: Array<[string, string, string | null]> = [
  ['strips a leading slash (GRUB)', '/grub/grub.cfg', 'grub/grub.cfg'],
  ['maps backslashes', '\\boot\\pxelinux.0', 'boot/pxelinux.0'],
  ['drops . and empty segments', './a//b/./c', 'a/b/c'],
  ['rejects ..', '../etc/passwd', null],
  ['rejects .. in the middle', 'pxelinux.cfg/../../../etc/passwd', null],
  ['rejects .. written with backslashes', 'a\\..\\..\\x', null],
  ['rejects NUL', 'a\0b', null],
  ['rejects an empty name', '/', null],
  ['keeps dots inside names', 'a..b/c.', 'a..b/c.'],
];
for (const [title, input, expected] of lexical) {
  test(`normalize: ${title}`, (t) => {
    const r = normalizeRequestPath(input);
    t.deepEqual(r.ok ? r.relative : null, expected);
  });
}

async function fixture(): Promise<{ base: string; root: string }> {
  const base = await mkdtemp(path.join(tmpdir(), 'jail-'));
  const root = path.join(base, 'root');
  await mkdir(path.join(root, 'sub'), { recursive: true });
  await writeFile(path.join(root, 'sub', 'file'), 'in');
  await writeFile(path.join(base, 'secret'), 'out');
  await symlink(path.join(base, 'secret'), path.join(root, 'link-out'));
  await symlink('sub/file', path.join(root, 'link-in'));
  await symlink(base, path.join(root, 'dir-out'));
  return { base, root };
}

test('jail: a file inside the root resolves with its size', async (t) => {
  const { base, root } = await fixture();
  t.teardown(() => rm(base, { recursive: true, force: true }));
  const r = await new PathJail(root).resolve('/sub/file');
  t.like(r, { ok: true, relative: 'sub/file', size: 2 });
});

test('jail: a symlink pointing outside the root is refused', async (t) => {
  const { base, root } = await fixture();
  t.teardown(() => rm(base, { recursive: true, force: true }));
  t.like(await new PathJail(root).resolve('link-out'), { ok: false, reason: 'escape' });
});

test('jail: a directory symlink pointing outside is refused', async (t) => {
  const { base, root } = await fixture();
  t.teardown(() => rm(base, { recursive: true, force: true }));
  t.like(await new PathJail(root).resolve('dir-out/secret'), { ok: false, reason: 'escape' });
});

test('jail: a symlink inside the root is followed', async (t) => {
  const { base, root } = await fixture();
  t.teardown(() => rm(base, { recursive: true, force: true }));
  t.like(await new PathJail(root).resolve('link-in'), { ok: true, size: 2 });
});

test('jail: directories and missing files are not-found', async (t) => {
  const { base, root } = await fixture();
  t.teardown(() => rm(base, { recursive: true, force: true }));
  const jail = new PathJail(root);
  t.like(await jail.resolve('sub'), { ok: false, reason: 'not-found' });
  t.like(await jail.resolve('nope'), { ok: false, reason: 'not-found' });
});

test('jail: traversal is refused before touching the filesystem', async (t) => {
  const { base, root } = await fixture();
  t.teardown(() => rm(base, { recursive: true, force: true }));
  t.like(await new PathJail(root).resolve('sub/../../secret'), { ok: false, reason: 'traversal' });
});

test('jail: a root reached through a symlink still works', async (t) => {
  const { base, root } = await fixture();
  t.teardown(() => rm(base, { recursive: true, force: true }));
  const alias = path.join(base, 'alias');
  await symlink(root, alias);
  t.like(await new PathJail(alias).resolve('sub/file'), { ok: true });
});
