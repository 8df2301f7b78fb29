// Glue: exports the network-boot servers' own counters (DhcpServer/TftpServer stats(), the PXE
// filter's status()) as Prometheus families read at scrape time, plus the filter's health probe.
import type { FilterStatus } from './core/pxe-filter.js';
import type { MetricSample, Metrics } from './core/metrics.js';
import type { DhcpStats } from './dhcp/server.js';
import type { TftpStats } from './tftp/server.js';
import type { NftablesFilterStatus } from './firewall/filter.js';
import type { HealthProbe } from './metrics/health.js';

export interface NetbootSources {
  dhcp?: { stats(): DhcpStats };
  tftp?: { stats(): TftpStats };
  filter?: { status(): FilterStatus | NftablesFilterStatus };
}

function byKey<L extends string>(label: L, counts: Record<string, number>): Array<MetricSample<L>> {
  return Object.entries(counts).map(([key, value]) => ({
    labels: { [label]: key } as Partial<Record<L, string>>,
    value,
  }));
}

/** `ignored:pool-exhausted` → decision `ignored`, reason `pool-exhausted`; `offer` → reason ``. */
export function splitDecision(key: string): { decision: string; reason: string } {
  const colon = key.indexOf(':');
  return colon < 0
    ? { decision: key, reason: '' }
    : { decision: key.slice(0, colon), reason: key.slice(colon + 1) };
}

function registerDhcp(metrics: Metrics, dhcp: NonNullable<NetbootSources['dhcp']>): void {
  // One stats() call per family per scrape: cheap copies of small objects.
  metrics.collect(
    {
      name: 'inspectord_dhcp_packets_received_total',
      help: 'DHCP messages received by type (DISCOVER, REQUEST, …, MALFORMED).',
      labelNames: ['type'],
      type: 'counter',
    },
    () => byKey('type', dhcp.stats().received),
  );
  metrics.collect(
    {
      name: 'inspectord_dhcp_packets_sent_total',
      help: 'DHCP replies sent by type (OFFER, ACK, NAK).',
      labelNames: ['type'],
      type: 'counter',
    },
    () => byKey('type', dhcp.stats().sent),
  );
  metrics.collect(
    {
      name: 'inspectord_dhcp_decisions_total',
      help: 'DHCP decisions by decision (offer, ack, nak, ignored, proxy-offer, …) and reason (for ignored: decision, pool-exhausted, arch-unmapped, …).',
      labelNames: ['decision', 'reason'],
      type: 'counter',
    },
    () =>
      Object.entries(dhcp.stats().decisions).map(([key, value]) => ({ labels: splitDecision(key), value })),
  );
  metrics.collect(
    {
      name: 'inspectord_dhcp_errors_total',
      help: 'DHCP problems by kind: malformed (undecodable datagrams), send, lease_save.',
      labelNames: ['kind'],
      type: 'counter',
    },
    () => {
      const s = dhcp.stats();
      return [
        { labels: { kind: 'malformed' }, value: s.malformed },
        { labels: { kind: 'send' }, value: s.sendErrors },
        { labels: { kind: 'lease_save' }, value: s.leaseSaveErrors },
      ];
    },
  );
  metrics.collect(
    { name: 'inspectord_dhcp_leases_in_use', help: 'DHCP leases currently held.', type: 'gauge' },
    () => [{ value: dhcp.stats().leases }],
  );
}

function registerTftp(metrics: Metrics, tftp: NonNullable<NetbootSources['tftp']>): void {
  metrics.collect(
    {
      name: 'inspectord_tftp_transfers_total',
      help: 'Finished TFTP transfers by outcome (complete, timeout, client-error, …).',
      labelNames: ['outcome'],
      type: 'counter',
    },
    () => byKey('outcome', tftp.stats().transfers),
  );
  metrics.collect(
    {
      name: 'inspectord_tftp_refused_total',
      help: 'Refused TFTP requests by reason (not-found, access-violation, queue-full, …).',
      labelNames: ['reason'],
      type: 'counter',
    },
    () => byKey('reason', tftp.stats().refused),
  );
  metrics.collect(
    {
      name: 'inspectord_tftp_bytes_total',
      help: 'TFTP payload bytes acknowledged by clients.',
      type: 'counter',
    },
    () => [{ value: tftp.stats().bytes }],
  );
  metrics.collect(
    {
      name: 'inspectord_tftp_retransmits_total',
      help: 'TFTP DATA/OACK packets sent again (counted when a transfer ends).',
      type: 'counter',
    },
    () => [{ value: tftp.stats().retransmits }],
  );
  metrics.collect(
    {
      name: 'inspectord_tftp_errors_total',
      help: 'TFTP datagrams that did not decode (malformed) or came from a foreign TID (unknown_tid).',
      labelNames: ['kind'],
      type: 'counter',
    },
    () => {
      const s = tftp.stats();
      return [
        { labels: { kind: 'malformed' }, value: s.malformed },
        { labels: { kind: 'unknown_tid' }, value: s.unknownTid },
      ];
    },
  );
  metrics.collect(
    {
      name: 'inspectord_tftp_transfers_in_progress',
      help: 'TFTP transfers running (active) and waiting for a slot (queued).',
      labelNames: ['queue'],
      type: 'gauge',
    },
    () => {
      const s = tftp.stats();
      return [
        { labels: { queue: 'active' }, value: s.active },
        { labels: { queue: 'queued' }, value: s.queued },
      ];
    },
  );
}

function registerFilter(metrics: Metrics, filter: NonNullable<NetbootSources['filter']>): void {
  metrics.collect(
    {
      name: 'inspectord_filter_healthy',
      help: '1 when the PXE filter was applied and its last sync worked, else 0.',
      labelNames: ['driver'],
      type: 'gauge',
    },
    () => {
      const s = filter.status();
      return [{ labels: { driver: s.driver }, value: s.healthy ? 1 : 0 }];
    },
  );
  metrics.collect(
    {
      name: 'inspectord_filter_last_sync_timestamp_seconds',
      help: 'When the PXE filter was last synchronised (Unix time).',
      type: 'gauge',
    },
    () => {
      const at = filter.status().lastSyncAt;
      return at ? [{ value: Date.parse(at) / 1000 }] : [];
    },
  );
  metrics.collect(
    {
      name: 'inspectord_filter_macs',
      help: 'MACs in the PXE filter sets as last applied (allowed, denied) and unknown MACs that knocked (knocking).',
      labelNames: ['set'],
      type: 'gauge',
    },
    () => {
      const s = filter.status();
      const samples: Array<MetricSample<'set'>> = [
        { labels: { set: 'knocking' }, value: s.knocks?.length ?? 0 },
      ];
      if ('allowed' in s) {
        samples.push(
          { labels: { set: 'allowed' }, value: s.allowed },
          { labels: { set: 'denied' }, value: s.denied },
        );
      }
      return samples;
    },
  );
  metrics.collect(
    {
      name: 'inspectord_filter_rule_packets_total',
      help: 'Packets matched by the PXE filter rules (confined, relayed, allowed, denied, unknown_allowed, unknown_refused), read from nft counters.',
      labelNames: ['rule'],
      type: 'counter',
    },
    () => {
      const s = filter.status();
      if (!('counters' in s) || !s.counters) return [];
      return Object.entries(s.counters).map(([rule, c]) => ({ labels: { rule }, value: c.packets }));
    },
  );
}

/** Call once per daemon with the servers that run; absent ones export nothing. */
export function registerNetbootMetrics(metrics: Metrics, sources: NetbootSources): void {
  if (sources.dhcp) registerDhcp(metrics, sources.dhcp);
  if (sources.tftp) registerTftp(metrics, sources.tftp);
  if (sources.filter) registerFilter(metrics, sources.filter);
}

/** /healthz probe: unhealthy while the PXE filter could not be applied (DHCP gating unknown). */
export function filterHealthProbe(filter: NonNullable<NetbootSources['filter']>): HealthProbe {
  return {
    name: 'pxe_filter',
    check() {
      const s = filter.status();
      if (s.healthy) return null;
      return s.lastError ? `not applied: ${s.lastError}` : 'not applied yet';
    },
  };
}
