// Identity reconciliation decisions, table-driven over small node sets.
import test from 'ava';
import {
  identityFromData,
  identityValue,
  reconcile,
  type KnownNode,
  type PostedFacts,
} from '../../../src/discovery/identity.js';

const A: KnownNode = {
  uuid: 'aaaaaaaa-0000-0000-0000-000000000001',
  identity: { system_serial: 'sn-a', system_uuid: 'uuid-a', bmc_mac: '02:00:00:00:00:a0' },
  bmcAddress: '198.18.1.1',
  macs: ['52:54:00:00:00:a1'],
};
const B: KnownNode = {
  uuid: 'bbbbbbbb-0000-0000-0000-000000000002',
  identity: { system_serial: 'sn-b' },
  bmcAddress: '198.18.1.2',
  macs: ['52:54:00:00:00:b1'],
};

const posted = (p: Partial<PostedFacts>): PostedFacts => ({ identity: {}, bmcAddresses: [], macs: [], ...p });

const cases: Array<[string, PostedFacts, string, Record<string, unknown>?]> = [
  ['nothing known → new node', posted({ macs: ['52:54:00:00:00:99'], bmcAddresses: ['198.18.1.9'] }), 'new'],
  [
    'same serial from a new NIC → merge with the new MAC',
    posted({ identity: { system_serial: 'sn-a' }, macs: ['52:54:00:00:00:a2'] }),
    'merge',
    { node: A.uuid, newMacs: ['52:54:00:00:00:a2'], matchedBy: ['system serial sn-a'] },
  ],
  [
    'same system UUID → merge',
    posted({ identity: { system_uuid: 'uuid-a' }, macs: ['52:54:00:00:00:a3'] }),
    'merge',
    { node: A.uuid },
  ],
  [
    'same BMC MAC → merge',
    posted({ identity: { bmc_mac: '02:00:00:00:00:a0' }, macs: ['52:54:00:00:00:a4'] }),
    'merge',
    { node: A.uuid },
  ],
  [
    'same serial, known MAC and BMC of the same node → merge, nothing new',
    posted({
      identity: { system_serial: 'sn-a' },
      macs: ['52:54:00:00:00:a1'],
      bmcAddresses: ['198.18.1.1'],
    }),
    'merge',
    { newMacs: [] },
  ],
  [
    'a MAC of another node without chassis match → refuse',
    posted({ identity: { system_serial: 'sn-z' }, macs: ['52:54:00:00:00:b1'] }),
    'refuse',
    { owners: [B.uuid] },
  ],
  [
    'the BMC address of another node → refuse',
    posted({ macs: ['52:54:00:00:00:99'], bmcAddresses: ['198.18.1.2'] }),
    'refuse',
    { owners: [B.uuid] },
  ],
  [
    'serial of A but BMC address of B → review',
    posted({
      identity: { system_serial: 'sn-a' },
      macs: ['52:54:00:00:00:99'],
      bmcAddresses: ['198.18.1.2'],
    }),
    'review',
    { candidates: [A.uuid, B.uuid] },
  ],
  [
    'serial of B but system UUID of A → review',
    posted({ identity: { system_serial: 'sn-b', system_uuid: 'uuid-a' }, macs: ['52:54:00:00:00:99'] }),
    'review',
    { candidates: [A.uuid, B.uuid] },
  ],
];

for (const [title, facts, kind, expected] of cases) {
  test(`reconcile: ${title}`, (t) => {
    const r = reconcile(facts, [A, B]);
    t.is(r.kind as string, kind);
    if (expected) t.like(r, expected);
  });
}

test('reconcile: the refusal names the MAC and its node', (t) => {
  const r = reconcile(posted({ macs: ['52:54:00:00:00:b1'] }), [A, B]);
  t.is(r.kind, 'refuse');
  t.regex((r as { reason: string }).reason, /MAC 52:54:00:00:00:b1 already belongs to node bbbbbbbb/);
});

const placeholders = [
  '',
  'To be filled by O.E.M.',
  'Default string',
  'None',
  '03000200-0400-0500-0006-000700080009',
];
for (const value of placeholders) {
  test(`identityValue ignores the placeholder ${JSON.stringify(value)}`, (t) => {
    t.is(identityValue(value), undefined);
  });
}

test('identityFromData reads system_vendor serial/uuid and bmc_mac, lowercased', (t) => {
  t.deepEqual(
    identityFromData({
      inventory: {
        system_vendor: { serial_number: ' SN-1 ', system_uuid: 'ABC-1' },
        bmc_mac: '02-00-00-00-00-AA',
      },
    }),
    { system_serial: 'sn-1', system_uuid: 'abc-1', bmc_mac: '02:00:00:00:00:aa' },
  );
});

test('identityFromData falls back to dmi system fields', (t) => {
  t.deepEqual(identityFromData({ dmi: { system: { serial_number: 'X9', uuid: 'u-9' } } }), {
    system_serial: 'x9',
    system_uuid: 'u-9',
  });
});
