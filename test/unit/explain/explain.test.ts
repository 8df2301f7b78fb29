// Explain boot and support bundles, pure: option-93 names, the probe DISCOVER, the DHCP preview
// that reserves nothing, the report for denied/allowed clients, and secret scrubbing.
import test from 'ava';
import pino from 'pino';
import { buildConfig } from '../../../src/config/load.js';
import { LocalNodeRepository } from '../../../src/core/node-repository.js';
import { classifyClient } from '../../../src/dhcp/pxe.js';
import { DhcpResponder, type ResponderOptions } from '../../../src/dhcp/responder.js';
import {
  TOKEN_PLACEHOLDER,
  bootConfigFor,
  describeReply,
  explainBoot,
  parseArch,
  parseExplainQuery,
  probePacket,
  type ExplainDeps,
} from '../../../src/explain.js';
import { Netboot, NotifyingNodeRepository } from '../../../src/netboot.js';
import { scrubSecrets } from '../../../src/support-bundle.js';
import { FakeClock } from '../../helpers/core-env.js';
import { MemoryStateStore } from '../../helpers/memory.js';

const A = '52:54:00:00:00:0a';
const B = '52:54:00:00:00:0b';

for (const [text, arch] of [
  ['bios', 0],
  ['efi64', 7],
  ['EFI-ARM64', 11],
  ['http', 16],
  ['9', 9],
  ['0x10', 16],
  ['pdp11', null],
  ['70000', null],
] as const) {
  test(`parseArch(${text}) is ${String(arch)}`, (t) => {
    t.is(parseArch(text), arch);
  });
}

test('parseExplainQuery rejects a missing MAC and normalises a given one', (t) => {
  t.throws(() => parseExplainQuery({}), { message: /mac is required/ });
  t.deepEqual(parseExplainQuery({ mac: '52-54-00-00-00-0A', arch: 'efi64', user_class: 'iPXE' }), {
    mac: A,
    arch: 7,
    userClass: ['iPXE'],
  });
  t.throws(() => parseExplainQuery({ mac: A, giaddr: '1.2.3' }), { message: /giaddr/ });
});

test('the probe DISCOVER classifies as the client it describes', (t) => {
  const kind = classifyClient(probePacket({ mac: A, arch: 7, userClass: ['iPXE'] }));
  t.is(kind.arch, 7);
  t.true(kind.isIpxe);
  t.true(kind.isPxe);
  t.false(classifyClient(probePacket({ mac: A })).isPxe);
});

test('bootConfigFor maps boot files to the config the loader then asks for', (t) => {
  t.deepEqual(bootConfigFor('pxelinux.0', A), {
    kind: 'pxelinux',
    path: 'pxelinux.cfg/01-52-54-00-00-00-0a',
  });
  t.deepEqual(bootConfigFor('grubx64.efi', A), { kind: 'grub', path: 'grub.cfg-01-52-54-00-00-00-0a' });
  t.is(bootConfigFor(`http://x/boot/ipxe/${A}.ipxe`, A)?.kind, 'ipxe');
  t.is(bootConfigFor(undefined, A), null);
});

const responderOptions: ResponderOptions = {
  serverAddress: '198.18.0.1',
  subnets: [{ cidr: '198.18.0.0/24', rangeStart: '198.18.0.100', rangeEnd: '198.18.0.101', leaseTime: 600 }],
  mode: 'full',
  authoritative: true,
  offerTtl: 30,
  declineQuarantine: 60,
  boot: { archMap: { 0: 'pxelinux.0' }, ipxeScriptUrl: '', httpPort: 5050, sendIpxeNoPxedhcp: false },
};

test('preview offers what handle would, without reserving the address', (t) => {
  const clock = new FakeClock();
  const r = new DhcpResponder(responderOptions, { clock });
  const via = { localPort: 67, address: '0.0.0.0', port: 68 };
  const first = r.preview(probePacket({ mac: A, arch: 0 }));
  const again = r.preview(probePacket({ mac: B, arch: 0 }));
  const yiaddr = (o: typeof first): string | undefined => {
    const d = o.reply ? describeReply(o.reply.buffer) : undefined;
    return d && 'yiaddr' in d ? d.yiaddr : undefined;
  };
  t.is(yiaddr(first), '198.18.0.100');
  t.is(yiaddr(again), '198.18.0.100', 'the first preview reserved nothing');
  t.false(r.takeDirty());
  const real = r.handle(probePacket({ mac: A, arch: 0 }), via);
  t.is(yiaddr(real), '198.18.0.100', 'the real offer agrees with the preview');
  t.is(yiaddr(r.preview(probePacket({ mac: B, arch: 0 }))), '198.18.0.101', 'preview sees the real offer');
  t.deepEqual(r.leases(), []);
});

test('describeReply decodes siaddr, file and the boot options', (t) => {
  const r = new DhcpResponder(responderOptions, { clock: new FakeClock() });
  const outcome = r.preview(probePacket({ mac: A, arch: 0 }));
  const d = describeReply(outcome.reply?.buffer ?? Buffer.alloc(0));
  if ('error' in d) return t.fail(d.error);
  t.is(d.type, 'OFFER');
  t.is(d.siaddr, '198.18.0.1');
  t.is(d.file, 'pxelinux.0');
  t.is(d.options['66']?.text, '198.18.0.1');
  t.is(d.options['67']?.text, 'pxelinux.0');
  t.is(d.options['54']?.text, '198.18.0.1');
});

async function world(callbackAuth = 'token') {
  const store = new MemoryStateStore();
  const clock = new FakeClock();
  const nodes = new NotifyingNodeRepository(new LocalNodeRepository({ store, clock }));
  const a = await nodes.create({ name: 'a' }, { ports: [{ address: A }] });
  const b = await nodes.create({ name: 'b' }, { ports: [{ address: B }] });
  let minted = 0;
  const config = buildConfig(
    {
      dhcp: {
        enabled: 'false',
        interface_address: '198.18.0.1',
        subnet: '198.18.0.0/24',
        range_start: '198.18.0.100',
        range_end: '198.18.0.150',
      },
      processing: { callback_auth: callbackAuth },
    },
    'test',
  );
  const netboot = new Netboot({
    config,
    log: pino({ level: 'silent' }),
    clock,
    events: { emit: () => undefined },
    store,
    nodes,
    windows: { activeWindows: () => [{ uuid: a.uuid, macs: [A] }] },
    discovery: () => false,
    // As the daemon's: a token only for a known node (the MAC-less validation render gets none).
    tokenFor: (node) => {
      if (!node) return undefined;
      minted += 1;
      return 'real-token';
    },
  });
  const deps: ExplainDeps = {
    nodes,
    introspectionOf: (uuid) =>
      uuid === a.uuid
        ? { state: 'waiting', started_at: '2026-11-21T10:00:00', finished_at: null }
        : undefined,
    baseUrl: 'http://198.18.0.1:5050',
  };
  return { netboot, deps, a, b, minted: () => minted };
}

test('explain: an enrolled MAC not under introspection is denied, with the reason and no reply', async (t) => {
  const { netboot, deps, b } = await world();
  const r = await explainBoot(netboot.explainSources(), deps, { mac: B, arch: 0 });
  t.false(r.filter.allowed);
  t.regex(r.filter.reason, /enrolled node is not under introspection/);
  t.is(r.node?.uuid, b.uuid);
  t.is(r.dhcp.outcome, 'ignored:decision');
  t.false(r.dhcp.would_reply);
  t.is(r.dhcp.reply, null);
});

test('explain: a MAC under introspection gets pxelinux.0 for BIOS with the config shown, no token minted', async (t) => {
  const { netboot, deps, a, minted } = await world();
  const r = await explainBoot(netboot.explainSources(), deps, { mac: A, arch: 0 });
  t.true(r.filter.allowed);
  t.is(r.node?.uuid, a.uuid);
  t.is(r.node?.introspection?.state, 'waiting');
  t.is(r.boot_file?.file, 'pxelinux.0');
  t.is(r.boot_file?.via, 'tftp');
  t.is(r.boot_config?.kind, 'pxelinux');
  t.regex(r.boot_config?.text ?? '', new RegExp(`inspectord-token=${TOKEN_PLACEHOLDER}`));
  t.is(minted(), 0);
  t.false(r.dhcp.enabled, '[dhcp] enabled = false');
  t.is(r.dhcp.reply && 'yiaddr' in r.dhcp.reply ? r.dhcp.reply.yiaddr : null, '198.18.0.100');
  t.true(r.notes.some((n) => /enabled = false/.test(n)));
});

test('explain: iPXE gets the per-MAC script URL and the script text', async (t) => {
  const { netboot, deps } = await world('none');
  const r = await explainBoot(netboot.explainSources(), deps, { mac: A, arch: 7, userClass: ['iPXE'] });
  t.is(r.boot_file?.file, `http://198.18.0.1:5050/boot/ipxe/${A}.ipxe`);
  t.is(r.boot_file?.via, 'http');
  t.is(r.boot_config?.kind, 'ipxe');
  t.regex(r.boot_config?.text ?? '', /^#!ipxe/);
  t.notRegex(r.boot_config?.text ?? '', /inspectord-token=/, 'callback_auth = none: no token at all');
  t.is(r.urls.ipxe_script, `http://198.18.0.1:5050/boot/ipxe/${A}.ipxe`);
});

test('scrubSecrets censors password-like keys at any depth', (t) => {
  t.deepEqual(
    scrubSecrets({
      driver_info: { ipmi_password: 'x', ipmi_username: 'u' },
      list: [{ token: 't' }],
      n: null,
    }),
    { driver_info: { ipmi_password: '******', ipmi_username: 'u' }, list: [{ token: '******' }], n: null },
  );
});
