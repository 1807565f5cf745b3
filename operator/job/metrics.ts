// Kubernetes API load of the job controller: every write is counted, so benchmarks and dashboards
// can check that writes stay coalesced (one status write per reconcile, none when nothing changed).
import { Counter, Histogram } from 'prom-client';
import { registry } from '../runtime/metrics.js';

export const jobKubeWrites = new Counter({
  name: 'ct_operator_job_kube_writes_total',
  help: 'Kubernetes API writes by the job controller, by kind of write (status, metadata).',
  labelNames: ['write'] as const,
  registers: [registry],
});

export const jobsPlanned = new Counter({
  name: 'ct_operator_jobs_planned_total',
  help: 'Jobs probed and planned into runner tasks.',
  registers: [registry],
});

export const probeDuration = new Histogram({
  name: 'ct_operator_probe_duration_seconds',
  help: 'ffprobe of job inputs on S3.',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});
