// Kubernetes API load of the job controller: every write is counted, so benchmarks and dashboards
// can check that writes stay coalesced (one status write per reconcile, none when nothing changed).
import { metric } from '../runtime/metrics.js';

export const jobKubeWrites = metric.counter(
  'ct_operator_job_kube_writes_total',
  'Kubernetes API writes by the job controller, by kind of write (status, metadata).',
  ['write'],
);
export const jobsPlanned = metric.counter('ct_operator_jobs_planned_total', 'Jobs probed and planned into runner tasks.');
export const probeDuration = metric.histogram(
  'ct_operator_probe_duration_seconds',
  'ffprobe of job inputs on S3.',
  [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
);
