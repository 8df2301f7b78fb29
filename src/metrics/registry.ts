// The prom-client implementation of the core `Metrics` port: one private Registry per daemon (no
// global default registry), process and event-loop metrics, and the text exposition for /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type {
  CounterMetric,
  GaugeMetric,
  HistogramMetric,
  HistogramSpec,
  MetricLabels,
  MetricSample,
  MetricSpec,
  Metrics,
} from '../core/metrics.js';

export interface PromMetricsOptions {
  /** Node.js process metrics (CPU, memory, fds, GC) and event-loop lag (`nodejs_eventloop_lag_*`). */
  processMetrics?: boolean;
  /** Called when a scrape-time reader throws; that family is left empty for this scrape. */
  onCollectError?: (name: string, error: unknown) => void;
}

type LabelValues = Record<string, string | number>;

/** prom-client wants only defined label values; numbers and strings pass as they are. */
function clean<L extends string>(labels: MetricLabels<L> | undefined): LabelValues {
  const out: LabelValues = {};
  if (!labels) return out;
  for (const [key, value] of Object.entries(labels) as Array<[string, string | number | undefined]>) {
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export class PromMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, CounterMetric<string>>();
  private readonly gauges = new Map<string, GaugeMetric<string>>();
  private readonly histograms = new Map<string, HistogramMetric<string>>();
  /** Scrape-time readers by family name; registering a name again replaces its reader. */
  private readonly readers = new Map<string, () => ReadonlyArray<MetricSample<string>>>();

  constructor(private readonly options: PromMetricsOptions = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Same name → same metric: instrumentation may be set up again (reload) without a clash. */
  private once<M>(metrics: Map<string, M>, name: string, create: () => M): M {
    let metric = metrics.get(name);
    if (!metric) {
      metric = create();
      metrics.set(name, metric);
    }
    return metric;
  }

  private static base(spec: MetricSpec<string>): { name: string; help: string; labelNames: string[] } {
    return { name: spec.name, help: spec.help, labelNames: [...(spec.labelNames ?? [])] };
  }

  counter<L extends string = never>(spec: MetricSpec<L>): CounterMetric<L> {
    return this.once(this.counters, spec.name, () => {
      const counter = new Counter<string>({ ...PromMetrics.base(spec), registers: [this.registry] });
      return { inc: (labels, value = 1) => counter.inc(clean(labels), value) };
    }) as CounterMetric<L>;
  }

  gauge<L extends string = never>(spec: MetricSpec<L>): GaugeMetric<L> {
    return this.once(this.gauges, spec.name, () => {
      const gauge = new Gauge<string>({ ...PromMetrics.base(spec), registers: [this.registry] });
      return {
        set: (labels, value) => gauge.set(clean(labels), value),
        inc: (labels, value = 1) => gauge.inc(clean(labels), value),
        dec: (labels, value = 1) => gauge.dec(clean(labels), value),
      };
    }) as GaugeMetric<L>;
  }

  histogram<L extends string = never>(spec: HistogramSpec<L>): HistogramMetric<L> {
    return this.once(this.histograms, spec.name, () => {
      const histogram = new Histogram<string>({
        ...PromMetrics.base(spec),
        ...(spec.buckets ? { buckets: [...spec.buckets] } : {}),
        registers: [this.registry],
      });
      return { observe: (labels, value) => histogram.observe(clean(labels), value) };
    }) as HistogramMetric<L>;
  }

  collect<L extends string = never>(
    spec: MetricSpec<L> & { type: 'gauge' | 'counter' },
    read: () => ReadonlyArray<MetricSample<L>>,
  ): void {
    const known = this.readers.has(spec.name);
    this.readers.set(spec.name, read as () => ReadonlyArray<MetricSample<string>>);
    if (known) return;
    const samples = (): ReadonlyArray<MetricSample<string>> => {
      try {
        return this.readers.get(spec.name)?.() ?? [];
      } catch (error) {
        this.options.onCollectError?.(spec.name, error);
        return [];
      }
    };
    const base = PromMetrics.base(spec);
    if (spec.type === 'gauge') {
      new Gauge<string>({
        ...base,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const sample of samples()) this.set(clean(sample.labels), sample.value);
        },
      });
    } else {
      new Counter<string>({
        ...base,
        registers: [this.registry],
        collect() {
          // The totals live in another object (a server's stats()); mirror them as they are.
          this.reset();
          for (const sample of samples()) if (sample.value > 0) this.inc(clean(sample.labels), sample.value);
        },
      });
    }
  }

  /** Prometheus text exposition format 0.0.4. */
  async scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
