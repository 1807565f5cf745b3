// Prometheus metrics of the operator runtime, in one registry served on /metrics.
import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'ct_operator_' });

export const reconcileTotal = new Counter({
  name: 'ct_operator_reconcile_total',
  help: 'Reconciles by controller and result (success, error, requeue).',
  labelNames: ['controller', 'result'] as const,
  registers: [registry],
});

export const reconcileErrors = new Counter({
  name: 'ct_operator_reconcile_errors_total',
  help: 'Reconciles that threw, by controller.',
  labelNames: ['controller'] as const,
  registers: [registry],
});

export const reconcileDuration = new Histogram({
  name: 'ct_operator_reconcile_duration_seconds',
  help: 'Reconcile duration by controller.',
  labelNames: ['controller'] as const,
  buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const queueDepth = new Gauge({
  name: 'ct_operator_workqueue_depth',
  help: 'Keys waiting in the work queue, by controller.',
  labelNames: ['controller'] as const,
  registers: [registry],
});

export const queueDelayed = new Gauge({
  name: 'ct_operator_workqueue_delayed',
  help: 'Keys scheduled for a later retry/requeue, by controller.',
  labelNames: ['controller'] as const,
  registers: [registry],
});

export const isLeader = new Gauge({
  name: 'ct_operator_leader',
  help: '1 while this replica holds the leader lease.',
  registers: [registry],
});

export const informerObjects = new Gauge({
  name: 'ct_operator_informer_objects',
  help: 'Objects in the informer cache, by resource.',
  labelNames: ['resource'] as const,
  registers: [registry],
});

export const informerRelists = new Gauge({
  name: 'ct_operator_informer_lists',
  help: 'Full lists done by the informer since start, by resource.',
  labelNames: ['resource'] as const,
  registers: [registry],
});
