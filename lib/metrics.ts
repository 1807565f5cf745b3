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

export const EVENT_LOOP_LAG_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Event-loop lag as a Prometheus histogram `name`: a timer every `intervalMs` records how late it
 * fired, i.e. how long the loop was busy (or the process descheduled) when it was due. A histogram,
 * not prom-client's reset-at-scrape gauges, so tails survive between scrapes and several scrapers.
 */
export function trackEventLoopLag(define: MetricDefiner, name: string, intervalMs = 100): Histogram {
  const lag = define.histogram(name, `How late a ${intervalMs} ms timer fires (event-loop lag), seconds.`, EVENT_LOOP_LAG_BUCKETS);
  let due = performance.now() + intervalMs;
  setInterval(() => {
    const now = performance.now();
    lag.observe(Math.max(0, now - due) / 1000);
    due = now + intervalMs;
  }, intervalMs).unref();
  return lag;
}
