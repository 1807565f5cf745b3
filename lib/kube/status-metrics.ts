// The status writer's counters in a component's registry: writes and conflicts by kind and writer
// (the call site), so contention on one object shows on a dashboard (docs/status-writes.md).
import type { MetricDefiner } from '../metrics.js';
import { onStatusWrite } from './status.js';

/** Defines ct_kube_status_writes_total and ct_kube_status_conflicts_total and counts every write of this process. */
export function registerStatusMetrics(metric: MetricDefiner): void {
  const writes = metric.counter('ct_kube_status_writes_total', 'CR status writes that the apiserver stored, by kind and writer.', [
    'kind',
    'writer',
  ]);
  const conflicts = metric.counter(
    'ct_kube_status_conflicts_total',
    'CR status writes refused because what they were computed from changed (a failed test of the guarded patch, or a stale resourceVersion), by kind and writer; each is recomputed from a fresh read or answered.',
    ['kind', 'writer'],
  );
  onStatusWrite((e) => (e.outcome === 'written' ? writes : conflicts).inc({ kind: e.kind, writer: e.writer }));
}
