// registerNetbootMetrics: DHCP/TFTP stats() and the PXE filter status() as Prometheus families.
import test from 'ava';
import { PromMetrics } from '../../../src/metrics/registry.js';
import { filterHealthProbe, registerNetbootMetrics, splitDecision } from '../../../src/metrics-netboot.js';
import type { DhcpStats } from '../../../src/dhcp/server.js';
import type { TftpStats } from '../../../src/tftp/server.js';

const dhcp: DhcpStats = {
  received: { DISCOVER: 4, REQUEST: 2 },
  sent: { OFFER: 3, ACK: 2 },
  decisions: { offer: 3, ack: 2, 'ignored:decision': 1 },
  malformed: 1,
  sendErrors: 0,
  leaseSaves: 2,
  leaseSaveErrors: 0,
  leases: 2,
};

const tftp: TftpStats = {
  transfers: {
    complete: 5,
    declined: 0,
    timeout: 1,
    'client-error': 0,
    'protocol-error': 0,
    superseded: 0,
    'server-error': 0,
    shutdown: 0,
  },
  refused: {
    'write-request': 0,
    'not-found': 2,
    'access-violation': 0,
    'bad-request': 0,
    'queue-full': 0,
    'queue-timeout': 0,
  },
  bytes: 123456,
  retransmits: 7,
  active: 1,
  queued: 0,
  queuedPeak: 3,
  malformed: 0,
  unknownTid: 1,
};

const splits: Array<[string, string, string]> = [
  ['offer', 'offer', ''],
  ['ignored:pool-exhausted', 'ignored', 'pool-exhausted'],
  ['ignored:decision', 'ignored', 'decision'],
];
for (const [key, decision, reason] of splits) {
  test(`decision key ${key} splits into ${decision}/${reason || '(none)'}`, (t) => {
    t.deepEqual(splitDecision(key), { decision, reason });
  });
}

test('DHCP stats become packets, decisions, errors and leases', async (t) => {
  const m = new PromMetrics();
  registerNetbootMetrics(m, { dhcp: { stats: () => dhcp } });
  const text = await m.scrape();
  t.regex(text, /inspectord_dhcp_packets_received_total\{type="DISCOVER"\} 4/);
  t.regex(text, /inspectord_dhcp_packets_sent_total\{type="ACK"\} 2/);
  t.regex(text, /inspectord_dhcp_decisions_total\{decision="ignored",reason="decision"\} 1/);
  t.regex(text, /inspectord_dhcp_decisions_total\{decision="offer",reason=""\} 3/);
  t.regex(text, /inspectord_dhcp_errors_total\{kind="malformed"\} 1/);
  t.regex(text, /inspectord_dhcp_leases_in_use 2/);
});

test('TFTP stats become transfers, refusals, bytes, retransmits and queue levels', async (t) => {
  const m = new PromMetrics();
  registerNetbootMetrics(m, { tftp: { stats: () => tftp } });
  const text = await m.scrape();
  t.regex(text, /inspectord_tftp_transfers_total\{outcome="complete"\} 5/);
  t.regex(text, /inspectord_tftp_refused_total\{reason="not-found"\} 2/);
  t.regex(text, /inspectord_tftp_bytes_total 123456/);
  t.regex(text, /inspectord_tftp_retransmits_total 7/);
  t.regex(text, /inspectord_tftp_transfers_in_progress\{queue="active"\} 1/);
  t.regex(text, /inspectord_tftp_errors_total\{kind="unknown_tid"\} 1/);
});

test('nftables filter status becomes health, set sizes and rule counters', async (t) => {
  const m = new PromMetrics();
  const status = {
    driver: 'nftables' as const,
    healthy: true,
    lastSyncAt: '2025-01-01T00:00:00.000Z',
    knocks: [{ mac: '52:54:00:00:00:01', count: 3 }],
    table: 't',
    interface: 'i',
    allowed: 2,
    denied: 5,
    unknown: 'deny' as const,
    counters: { denied: { packets: 9, bytes: 900 } },
  };
  registerNetbootMetrics(m, { filter: { status: () => status } });
  const text = await m.scrape();
  t.regex(text, /inspectord_filter_healthy\{driver="nftables"\} 1/);
  t.regex(text, /inspectord_filter_macs\{set="allowed"\} 2/);
  t.regex(text, /inspectord_filter_macs\{set="knocking"\} 1/);
  t.regex(text, /inspectord_filter_rule_packets_total\{rule="denied"\} 9/);
  t.regex(text, /inspectord_filter_last_sync_timestamp_seconds 1735689600/);
});

test('sources that are absent export nothing', async (t) => {
  const m = new PromMetrics();
  registerNetbootMetrics(m, {});
  t.notRegex(await m.scrape(), /inspectord_(dhcp|tftp|filter)_/);
});

test('the filter probe names the last error while unhealthy', async (t) => {
  const probe = filterHealthProbe({
    status: () => ({ driver: 'nftables', healthy: false, lastError: 'nft: EPERM' }),
  });
  t.is(await probe.check(), 'not applied: nft: EPERM');
  t.is(await filterHealthProbe({ status: () => ({ driver: 'noop', healthy: true }) }).check(), null);
});
