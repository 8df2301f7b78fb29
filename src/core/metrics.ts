// Instrumentation port: the small metric surface the daemon's parts record into. src/metrics
// implements it with prom-client; `noopMetrics` stands in where nothing is scraped (tests, tools).

/** Label values by label name; a missing label is exported as the empty string. */
export type MetricLabels<L extends string> = Partial<Record<L, string | number>>;

export interface MetricSpec<L extends string> {
  /** Prometheus name, `inspectord_<area>_<what>[_unit][_total]`. */
  name: string;
  help: string;
  labelNames?: readonly L[];
}

export interface HistogramSpec<L extends string> extends MetricSpec<L> {
  /** Upper bounds in the metric's unit (seconds, bytes). */
  buckets?: readonly number[];
}

export interface CounterMetric<L extends string> {
  inc(labels?: MetricLabels<L>, value?: number): void;
}

export interface GaugeMetric<L extends string> {
  set(labels: MetricLabels<L>, value: number): void;
  inc(labels?: MetricLabels<L>, value?: number): void;
  dec(labels?: MetricLabels<L>, value?: number): void;
}

export interface HistogramMetric<L extends string> {
  observe(labels: MetricLabels<L>, value: number): void;
}

/** One sample of a family read at scrape time. */
export interface MetricSample<L extends string> {
  labels?: MetricLabels<L>;
  value: number;
}

export interface Metrics {
  counter<L extends string = never>(spec: MetricSpec<L>): CounterMetric<L>;
  gauge<L extends string = never>(spec: MetricSpec<L>): GaugeMetric<L>;
  histogram<L extends string = never>(spec: HistogramSpec<L>): HistogramMetric<L>;
  /**
   * A family whose samples are read from elsewhere when scraped: `gauge` for levels (leases in
   * use, introspections by state), `counter` for cumulative totals another object keeps (a
   * server's stats()). `read` must be cheap and must not throw; a throw drops that family only.
   */
  collect<L extends string = never>(
    spec: MetricSpec<L> & { type: 'gauge' | 'counter' },
    read: () => ReadonlyArray<MetricSample<L>>,
  ): void;
}

const noopCounter: CounterMetric<never> = { inc: () => undefined };
const noopGauge: GaugeMetric<never> = { set: () => undefined, inc: () => undefined, dec: () => undefined };
const noopHistogram: HistogramMetric<never> = { observe: () => undefined };

export const noopMetrics: Metrics = {
  counter: <L extends string>() => noopCounter as CounterMetric<L>,
  gauge: <L extends string>() => noopGauge as GaugeMetric<L>,
  histogram: <L extends string>() => noopHistogram as HistogramMetric<L>,
  collect: () => undefined,
};

/** Seconds elapsed since `startedMs` on `clock`, for histograms measured in seconds. */
export function secondsSince(clock: { now(): number }, startedMs: number): number {
  return Math.max(0, clock.now() - startedMs) / 1000;
}
