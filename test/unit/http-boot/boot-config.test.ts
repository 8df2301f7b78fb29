import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAppError } from '../../../src/core/errors.js';
import {
  grubConfigPath,
  kernelCommandLine,
  loadBootTemplates,
  normalizeMac,
  parseBootConfigPath,
  pxelinuxConfigPath,
  renderBootConfig,
  type BootConfigInput,
  type BootConfigKind,
} from '../../../src/http-boot/boot-config.js';

// dist/test/unit/http-boot → repository root
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const golden = (name: string): Promise<string> =>
  readFile(path.join(repo, 'test/fixtures/http-boot', name), 'utf8');

const tftpInput: BootConfigInput = {
  kernel: 'discovery.kernel',
  initramfs: 'discovery.initramfs',
  callbackUrl: 'http://198.18.0.1:5050/v1/continue',
  mac: '52-54-00-12-34-56',
  token: 'tok-123',
  extraKernelArgs: ['ipa-debug=1'],
};
const httpInput: BootConfigInput = {
  ...tftpInput,
  kernel: 'http://198.18.0.1:5050/boot/files/discovery.kernel',
  initramfs: 'http://198.18.0.1:5050/boot/files/discovery.initramfs',
};

const goldens: Array<[BootConfigKind, BootConfigInput, string]> = [
  ['pxelinux', tftpInput, 'pxelinux-01-52-54-00-12-34-56.golden'],
  ['grub', tftpInput, 'grub.cfg-01-52-54-00-12-34-56.golden'],
  ['ipxe', httpInput, '52-54-00-12-34-56.ipxe.golden'],
  [
    'pxelinux',
    { kernel: 'k', initramfs: 'i', callbackUrl: 'http://h/v1/continue' },
    'pxelinux-default.golden',
  ],
];

for (const [kind, input, file] of goldens) {
  test(`${kind} config matches ${file}`, async (t) => {
    const templates = await loadBootTemplates(path.join(repo, 'assets/templates'));
    t.is(renderBootConfig(kind, templates, input), await golden(file));
  });
}

test('kernel command line carries callback URL, collectors, console, token, extra args', (t) => {
  t.is(
    kernelCommandLine(tftpInput),
    'ipa-inspection-callback-url=http://198.18.0.1:5050/v1/continue ipa-inspection-collectors=default,logs ' +
      'console=ttyS0,115200n8 inspectord-token=tok-123 ipa-debug=1',
  );
});

test('pxelinux carries IPAPPEND 2, GRUB and iPXE their BOOTIF forms', async (t) => {
  const templates = await loadBootTemplates(path.join(repo, 'assets/templates'));
  t.regex(renderBootConfig('pxelinux', templates, tftpInput), /^\s*IPAPPEND 2$/m);
  t.regex(renderBootConfig('grub', templates, tftpInput), /BOOTIF=01-\$\{net_default_mac\}/);
  t.regex(renderBootConfig('ipxe', templates, httpInput), /BOOTIF=01-\$\{netX\/mac:hexhyp\}/);
});

const unsafe: Array<[string, Partial<BootConfigInput>]> = [
  ['newline in the callback URL', { callbackUrl: 'http://x/\nDEFAULT evil' }],
  ['space in the token', { token: 'a b' }],
  ['quote in the kernel path', { kernel: 'k"' }],
  ['empty initramfs', { initramfs: '' }],
  ['invalid MAC', { mac: 'nope' }],
];
for (const [title, patch] of unsafe) {
  test(`render refuses ${title} with ERR_BOOT_CONFIG_INVALID`, async (t) => {
    const templates = await loadBootTemplates(path.join(repo, 'assets/templates'));
    const err = t.throws(() => renderBootConfig('pxelinux', templates, { ...tftpInput, ...patch }));
    t.true(isAppError(err) && err.code === 'ERR_BOOT_CONFIG_INVALID');
  });
}

test('per-MAC file names and their parser agree', (t) => {
  t.is(pxelinuxConfigPath('52:54:00:12:34:56'), 'pxelinux.cfg/01-52-54-00-12-34-56');
  t.is(grubConfigPath('52:54:00:AB:34:56'), 'grub.cfg-01-52-54-00-ab-34-56');
  t.deepEqual(parseBootConfigPath('pxelinux.cfg/01-52-54-00-12-34-56'), {
    kind: 'pxelinux',
    mac: '52:54:00:12:34:56',
  });
  t.deepEqual(parseBootConfigPath('grub/grub.cfg-01-52-54-00-12-34-56'), {
    kind: 'grub',
    mac: '52:54:00:12:34:56',
  });
  t.is(parseBootConfigPath('pxelinux.cfg/C612009E'), null);
  t.is(parseBootConfigPath('pxelinux.cfg/default'), null);
});

test('normalizeMac accepts the usual notations', (t) => {
  t.is(normalizeMac('52-54-00-12-34-56'), '52:54:00:12:34:56');
  t.is(normalizeMac('525400123456'), '52:54:00:12:34:56');
  t.is(normalizeMac('52:54:00:12:34'), null);
});
