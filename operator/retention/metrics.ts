// Prometheus metrics of job retention (served with the runtime's /metrics).
import { metric } from '../runtime/metrics.js';

export const jobsDeleted = metric.counter(
  'ct_operator_jobs_deleted_total',
  'Finished TranscodeJobs deleted after their TTL, by whether a job record was written first (record, no-client).',
  ['kind'],
);
export const recordsWritten = metric.counter('ct_operator_job_records_written_total', "Job records written to clients' output buckets.");
