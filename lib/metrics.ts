// Metric definitions in one line each: a component makes `defineMetrics(registry)` once and declares
// its counters, histograms and gauges with name, help and labels; every metric is registered in that
// component's registry (served on its /metrics) and nowhere else.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface MetricDefiner {
  counter<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  histogram<L extends string = never>(name: string, help: string, buckets: number[], labelNames?: readonly L[]): Histogram<L>;
  /** `collect` runs at scrape time (values computed from caches); without it the gauge is set by hand. */
  gauge<L extends string = never>(name: string, help: string, labelNames?: readonly L[], collect?: (g: Gauge<L>) => void): Gauge<L>;
}

export function defineMetrics(registry: Registry): MetricDefiner {
  const registers = [registry];
  return {
    counter: (name, help, labelNames = []) => new Counter({ name, help, labelNames, registers }),
    histogram: (name, help, buckets, labelNames = []) => new Histogram({ name, help, labelNames, buckets, registers }),
    gauge: (name, help, labelNames = [], collect) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        ...(collect
          ? {
              collect(this: Gauge) {
                collect(this);
              },
            }
          : {}),
      }),
  };
}
