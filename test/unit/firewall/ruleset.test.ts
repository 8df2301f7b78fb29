import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { FilterPolicy } from '../../../src/core/pxe-filter.js';
import {
  defaultRulesetOptions,
  isComplete,
  parseCounters,
  parseKnocks,
  parseSetElements,
  policyKey,
  startBatch,
  stopBatch,
  updateBatch,
  wantedSets,
} from '../../../src/firewall/ruleset.js';
import type { NftListEntry } from '../../../src/firewall/nft.js';

const fixtures = new URL('../../../../test/fixtures/firewall/', import.meta.url);
const options = { ...defaultRulesetOptions, interface: 'prov0' };
const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

/** Compare with a reviewed golden file; UPDATE_GOLDEN=1 rewrites it. */
function golden(name: string, value: unknown): unknown {
  const file = new URL(`golden-${name}.json`, fixtures);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN) {
    mkdirSync(fixtures, { recursive: true });
    writeFileSync(file, text);
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

const cases: Array<[string, FilterPolicy]> = [
  ['closed', { allow: [], deny: ['52:54:00:00:00:02'], unknown: 'deny' }],
  [
    'open',
    { allow: [{ mac: '52:54:00:00:00:01', node: 'n1' }], deny: ['52:54:00:00:00:02'], unknown: 'allow' },
  ],
  [
    'deny-unknown-with-timeouts',
    {
      allow: [
        { mac: '52:54:00:00:00:01', expiresAt: NOW + 2_500, node: 'n1' },
        { mac: '52:54:00:00:00:03', expiresAt: NOW + 3_600_000, node: 'n3' },
      ],
      deny: ['52:54:00:00:00:02'],
      unknown: 'deny',
    },
  ],
];

for (const [name, policy] of cases) {
  test(`start batch matches golden: ${name}`, (t) => {
    const batch = startBatch(wantedSets(policy, NOW), options);
    t.deepEqual(batch, golden(`start-${name}`, batch));
  });
}

test('update batch matches golden and never re-creates the sets', (t) => {
  const batch = updateBatch(wantedSets(cases[2]![1], NOW), options);
  t.deepEqual(batch, golden('update-deny-unknown-with-timeouts', batch));
  t.false(JSON.stringify(batch).includes('"delete"'));
  t.false(batch.nftables.some((c) => 'add' in c && 'set' in c.add));
});

test('start batch replaces a stale table in the same transaction (add, delete, add)', (t) => {
  const batch = startBatch(wantedSets(cases[0]![1], NOW), options);
  t.deepEqual(
    batch.nftables.slice(0, 3).map((c) => Object.keys(c)[0]),
    ['add', 'delete', 'add'],
  );
});

test('stop batch tolerates an absent table', (t) => {
  t.deepEqual(stopBatch({ table: 'x' }), {
    nftables: [
      { add: { table: { family: 'inet', name: 'x' } } },
      { delete: { table: { family: 'inet', name: 'x' } } },
    ],
  });
});

test('element timeout is the remaining window rounded up to whole seconds', (t) => {
  const wanted = wantedSets(
    { allow: [{ mac: '52:54:00:00:00:01', expiresAt: NOW + 2_100 }], deny: [], unknown: 'deny' },
    NOW,
  );
  t.deepEqual(wanted.allowed, [{ mac: '52:54:00:00:00:01', timeoutSec: 3 }]);
});

test('an expired window leaves the MAC denied, not allowed', (t) => {
  const wanted = wantedSets(
    { allow: [{ mac: '52:54:00:00:00:01', expiresAt: NOW - 1 }], deny: [], unknown: 'allow' },
    NOW,
  );
  t.deepEqual(wanted.allowed, []);
  t.deepEqual(wanted.denied, ['52:54:00:00:00:01']);
});

test('allowed MACs are also in the denied set so an element timeout falls back to refusal', (t) => {
  const wanted = wantedSets(
    { allow: [{ mac: '52:54:00:00:00:01', expiresAt: NOW + 5000 }], deny: [], unknown: 'allow' },
    NOW,
  );
  t.deepEqual(wanted.denied, ['52:54:00:00:00:01']);
});

test('MACs are normalised, deduplicated, and invalid ones left out instead of failing the batch', (t) => {
  const wanted = wantedSets(
    {
      allow: [
        { mac: '52:54:00:AA:00:01', expiresAt: NOW + 1000 },
        { mac: '52:54:00:aa:00:01', expiresAt: NOW + 9000 },
      ],
      deny: ['52-54-00-00-00-02', 'not-a-mac', '52:54:00:00:00:02'],
      unknown: 'deny',
    },
    NOW,
  );
  t.deepEqual(wanted.allowed, [{ mac: '52:54:00:aa:00:01', timeoutSec: 9 }]);
  t.deepEqual(wanted.denied, ['52:54:00:00:00:02', '52:54:00:aa:00:01']);
  t.deepEqual(wanted.invalid, ['not-a-mac']);
});

test('relayed exemption can be turned off', (t) => {
  const batch = startBatch(wantedSets(cases[0]![1], NOW), { ...options, allowRelayed: false });
  t.false(JSON.stringify(batch).includes('relayed DHCP'));
});

// --- change detection
const base: FilterPolicy = {
  allow: [{ mac: '52:54:00:00:00:01', expiresAt: NOW + 60_000 }],
  deny: ['52:54:00:00:00:02', '52:54:00:00:00:03'],
  unknown: 'deny',
};

test('policy key ignores order and case', (t) => {
  t.is(
    policyKey(base),
    policyKey({ ...base, deny: ['52:54:00:00:00:03', '52:54:00:00:00:02'.toUpperCase()] }),
  );
});

test('policy key changes when a window is extended', (t) => {
  t.not(
    policyKey(base),
    policyKey({ ...base, allow: [{ mac: '52:54:00:00:00:01', expiresAt: NOW + 120_000 }] }),
  );
});

test('policy key changes when the unknown verdict changes', (t) => {
  t.not(policyKey(base), policyKey({ ...base, unknown: 'allow' }));
});

test('policy key changes when a MAC moves from allow to deny', (t) => {
  t.not(
    policyKey(base),
    policyKey({ allow: [], deny: [...base.deny, '52:54:00:00:00:01'], unknown: 'deny' }),
  );
});

// --- listing read-back (shapes of `nft -j list table inet …`, nft 1.0.6)
const listing: NftListEntry[] = [
  { metainfo: { version: '1.0.6', json_schema_version: 1 } },
  { table: { family: 'inet', name: 'inspectord', handle: 3 } },
  { counter: { family: 'inet', name: 'denied', table: 'inspectord', handle: 9, packets: 2, bytes: 656 } },
  {
    set: {
      family: 'inet',
      name: 'allowed_macs',
      table: 'inspectord',
      type: 'ether_addr',
      flags: ['timeout'],
      elem: [{ elem: { val: '02:00:00:00:00:01', timeout: 30, expires: 23 } }, '02:00:00:00:00:04'],
    },
  },
  { set: { family: 'inet', name: 'denied_macs', table: 'inspectord', type: 'ether_addr' } },
  {
    set: {
      family: 'inet',
      name: 'knocks',
      table: 'inspectord',
      type: 'ether_addr',
      flags: ['timeout'],
      timeout: 3600,
      elem: [{ elem: { val: '02:00:00:00:00:09', expires: 3590, counter: { packets: 7, bytes: 2296 } } }],
      stmt: [{ counter: null }],
    },
  },
  { chain: { family: 'inet', table: 'inspectord', name: 'pxe_guard', hook: 'input', prio: -5 } },
  { rule: { family: 'inet', table: 'inspectord', chain: 'pxe_guard', handle: 11, expr: [] } },
];

test('knocks are read from the per-element counters with last-seen from the refreshed expiry', (t) => {
  t.deepEqual(parseKnocks(listing, 3600, NOW), [
    { mac: '02:00:00:00:00:09', count: 7, lastSeen: new Date(NOW - 10_000).toISOString() },
  ]);
});

test('named counters are read back', (t) => {
  t.deepEqual(parseCounters(listing), { denied: { packets: 2, bytes: 656 } });
});

test('set elements are read back with their timeouts', (t) => {
  t.deepEqual(parseSetElements(listing, 'allowed_macs'), [
    { mac: '02:00:00:00:00:01', timeout: 30, expires: 23 },
    { mac: '02:00:00:00:00:04' },
  ]);
});

test('a complete listing is recognised and a partial one is not', (t) => {
  t.true(isComplete(listing));
  t.false(isComplete(null));
  t.false(isComplete(listing.filter((e) => !e.chain)));
  t.false(isComplete(listing.filter((e) => e.set?.name !== 'knocks')));
});
