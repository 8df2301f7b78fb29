import test from 'ava';
import { Opt, decode, encodeRequest, optString, optU16 } from '../../../src/dhcp/packet.js';
import { classifyClient, defaultBootFiles, expandTemplate, selectBootFile } from '../../../src/dhcp/pxe.js';

function kindOf(options: Array<[number, Buffer]>) {
  const buf = encodeRequest({
    htype: 1,
    hlen: 6,
    xid: 1,
    flags: 0,
    chaddr: Buffer.alloc(6),
    options: [[53, Buffer.from([1])], ...options],
  });
  const d = decode(buf);
  if (!d.ok) throw new Error(d.error);
  return classifyClient(d.packet);
}
const vars = { server: '198.18.0.1', mac: '52:54:00:12:34:56' };

const cases: Array<[string, Array<[number, Buffer]>, string]> = [
  ['option 93 = 0 → pxelinux.0', [[Opt.CLIENT_ARCH, optU16(0)]], 'pxelinux.0'],
  ['option 93 = 7 → grubx64.efi', [[Opt.CLIENT_ARCH, optU16(7)]], 'grubx64.efi'],
  ['option 93 = 9 → grubx64.efi', [[Opt.CLIENT_ARCH, optU16(9)]], 'grubx64.efi'],
  ['option 93 = 11 → grubaa64.efi', [[Opt.CLIENT_ARCH, optU16(11)]], 'grubaa64.efi'],
  [
    'vendor class PXEClient:Arch:00000 without 93 → pxelinux.0',
    [[Opt.VENDOR_CLASS, optString('PXEClient:Arch:00000:UNDI:002001')]],
    'pxelinux.0',
  ],
  ['option 93 = 16 → HTTP URL', [[Opt.CLIENT_ARCH, optU16(16)]], 'http://198.18.0.1:8080/boot/ipxe.efi'],
  [
    'iPXE user class wins over arch',
    [
      [Opt.CLIENT_ARCH, optU16(0)],
      [Opt.USER_CLASS, optString('iPXE')],
    ],
    'http://198.18.0.1:8080/boot/ipxe/52:54:00:12:34:56.ipxe',
  ],
];
for (const [title, options, expected] of cases) {
  test(`boot file: ${title}`, (t) => {
    const selection = selectBootFile(kindOf(options), defaultBootFiles, vars);
    t.is(selection.kind === 'file' ? selection.bootFile : selection.kind, expected);
  });
}

test('client without PXE markers gets no boot file', (t) => {
  t.is(
    selectBootFile(kindOf([[Opt.VENDOR_CLASS, optString('udhcp 1.35.0')]]), defaultBootFiles, vars).kind,
    'none',
  );
});

test('unmapped arch is reported as hex', (t) => {
  t.deepEqual(selectBootFile(kindOf([[Opt.CLIENT_ARCH, optU16(0x13)]]), defaultBootFiles, vars), {
    kind: 'unmapped',
    reason: 'arch 0x13 unmapped',
  });
});

test('URL template expands server, port, mac and mac-hyphen', (t) => {
  t.is(
    expandTemplate('http://${server}:${port}/${mac}/${mac-hyphen}', { server: 's', port: 1, mac: 'aa:bb' }),
    'http://s:1/aa:bb/aa-bb',
  );
});
