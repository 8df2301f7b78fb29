// The metric families inspectord exports, by name, help, labels and buckets — one list, so the
// names in docs/operations.md and in dashboards have a single source. Created on any `Metrics`.
import type { CounterMetric, HistogramMetric, Metrics } from '../core/metrics.js';

/** Seconds: sub-millisecond API answers up to minute-long processing or BMC retries. */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds: boot file transfers (kernels, initramfs) take from milliseconds to minutes. */
export const TRANSFER_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

export interface InspectordMetrics {
  apiRequests: CounterMetric<'method' | 'route' | 'status'>;
  apiDuration: HistogramMetric<'method' | 'route'>;
  /** POST /v1/continue by outcome: `ok` or the error code (`lookup_not_found`, `processing_failed`…). */
  callbacks: CounterMetric<'outcome'>;
  hookDuration: HistogramMetric<'hook' | 'phase' | 'outcome'>;
  ruleDuration: HistogramMetric<'outcome'>;
  ipmiCalls: CounterMetric<'operation' | 'outcome'>;
  ipmiDuration: HistogramMetric<'operation'>;
  /** From `filter.sync` / `filter.error` events. */
  filterSyncs: CounterMetric<'result'>;
  tftpDuration: HistogramMetric<'outcome'>;
  httpBootTransfers: CounterMetric<'outcome'>;
  httpBootBytes: CounterMetric<never>;
  httpBootDuration: HistogramMetric<'outcome'>;
  /** Events written to the timeline by area and level (a cheap overall activity signal). */
  events: CounterMetric<'area' | 'level'>;
  reloads: CounterMetric<'result'>;
}

export function defineInspectordMetrics(metrics: Metrics): InspectordMetrics {
  return {
    apiRequests: metrics.counter({
      name: 'inspectord_api_requests_total',
      help: 'HTTP API requests by method, route template and status code.',
      labelNames: ['method', 'route', 'status'],
    }),
    apiDuration: metrics.histogram({
      name: 'inspectord_api_request_duration_seconds',
      help: 'HTTP API request duration by method and route template.',
      labelNames: ['method', 'route'],
      buckets: DURATION_BUCKETS,
    }),
    callbacks: metrics.counter({
      name: 'inspectord_callbacks_total',
      help: 'Ramdisk callbacks (POST /v1/continue) by outcome: ok or the error code.',
      labelNames: ['outcome'],
    }),
    hookDuration: metrics.histogram({
      name: 'inspectord_hook_duration_seconds',
      help: 'Processing hook run time by hook, phase (before_processing, before_update) and outcome.',
      labelNames: ['hook', 'phase', 'outcome'],
      buckets: DURATION_BUCKETS,
    }),
    ruleDuration: metrics.histogram({
      name: 'inspectord_rules_duration_seconds',
      help: 'Time to evaluate and apply the introspection rules to one node, by outcome.',
      labelNames: ['outcome'],
      buckets: DURATION_BUCKETS,
    }),
    ipmiCalls: metrics.counter({
      name: 'inspectord_ipmi_calls_total',
      help: 'BMC operations (validate, power_state, power, boot_device, verify_credentials) by outcome: ok or the error code.',
      labelNames: ['operation', 'outcome'],
    }),
    ipmiDuration: metrics.histogram({
      name: 'inspectord_ipmi_call_duration_seconds',
      help: 'BMC operation duration, retries included.',
      labelNames: ['operation'],
      buckets: DURATION_BUCKETS,
    }),
    filterSyncs: metrics.counter({
      name: 'inspectord_filter_syncs_total',
      help: 'PXE filter (nftables) applications that changed the kernel, by result (applied, error).',
      labelNames: ['result'],
    }),
    tftpDuration: metrics.histogram({
      name: 'inspectord_tftp_transfer_duration_seconds',
      help: 'TFTP transfer duration by outcome.',
      labelNames: ['outcome'],
      buckets: TRANSFER_BUCKETS,
    }),
    httpBootTransfers: metrics.counter({
      name: 'inspectord_http_boot_transfers_total',
      help: 'HTTP boot file transfers by outcome.',
      labelNames: ['outcome'],
    }),
    httpBootBytes: metrics.counter({
      name: 'inspectord_http_boot_bytes_total',
      help: 'Payload bytes sent by HTTP boot.',
    }),
    httpBootDuration: metrics.histogram({
      name: 'inspectord_http_boot_transfer_duration_seconds',
      help: 'HTTP boot file transfer duration by outcome.',
      labelNames: ['outcome'],
      buckets: TRANSFER_BUCKETS,
    }),
    events: metrics.counter({
      name: 'inspectord_events_total',
      help: 'Timeline events recorded, by area (dhcp, tftp, filter, callback, …) and level.',
      labelNames: ['area', 'level'],
    }),
    reloads: metrics.counter({
      name: 'inspectord_config_reloads_total',
      help: 'Configuration reloads (SIGHUP) by result: applied, restart_required, invalid.',
      labelNames: ['result'],
    }),
  };
}

/** `ERR_LOOKUP_NOT_FOUND` → `lookup_not_found`: a bounded, readable label value. */
export function outcomeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^ERR_[A-Z0-9_]+$/.test(code)) return code.slice(4).toLowerCase();
  return 'error';
}
