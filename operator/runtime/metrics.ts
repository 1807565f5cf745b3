// Prometheus metrics of the operator runtime, in one registry served on /metrics.
import { Registry, collectDefaultMetrics } from 'prom-client';
import { defineMetrics, trackEventLoopLag } from '../../lib/metrics.js';
import { registerStatusMetrics } from '../../lib/kube/status-metrics.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'ct_operator_' });
/** Defines a metric in the operator's registry (used by every operator component's metrics.ts). */
export const metric = defineMetrics(registry);
registerStatusMetrics(metric);
trackEventLoopLag(metric, 'ct_operator_event_loop_lag_seconds');

export const reconcileTotal = metric.counter(
  'ct_operator_reconcile_total',
  'Reconciles by controller and result (success, error, requeue).',
  ['controller', 'result'],
);
export const reconcileErrors = metric.counter('ct_operator_reconcile_errors_total', 'Reconciles that threw, by controller.', [
  'controller',
]);
export const reconcileDuration = metric.histogram(
  'ct_operator_reconcile_duration_seconds',
  'Reconcile duration by controller.',
  [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  ['controller'],
);
export const queueDepth = metric.gauge('ct_operator_workqueue_depth', 'Keys waiting in the work queue, by controller.', ['controller']);
export const queueDelayed = metric.gauge('ct_operator_workqueue_delayed', 'Keys scheduled for a later retry/requeue, by controller.', [
  'controller',
]);
export const isLeader = metric.gauge('ct_operator_leader', '1 while this replica holds the leader lease.');
export const informerObjects = metric.gauge('ct_operator_informer_objects', 'Objects in the informer cache, by resource.', ['resource']);
export const informerRelists = metric.gauge('ct_operator_informer_lists', 'Full lists done by the informer since start, by resource.', [
  'resource',
]);
