// Deterministic TranscodeJob names: the same client + job_id always gives the same name, so a
// redelivered START_JOB (or a client re-sending it) finds the existing job instead of making a
// second one. job_id allows [A-Za-z0-9._-] (case-sensitive), object names do not, so a hash of
// the exact job_id keeps distinct ids distinct.
import { dnsSlug, shortHash } from '../names.js';
import { API_VERSION, GROUP, KINDS, LABEL_CLIENT, LABEL_JOB_ID } from '../kube/resources.js';
import type { TranscodeJob } from '../schema/transcode-job.js';

export function jobName(clientName: string, jobId: string): string {
  const hash = shortHash(`${clientName}\0${jobId}`, 10);
  const slug = dnsSlug(jobId).slice(0, 40);
  // DNS subdomain names allow 253 chars; the client part is capped so the hash always survives.
  return [clientName.slice(0, 180), slug, hash].filter(Boolean).join('-').replace(/-+/g, '-');
}

/** Label values are limited to 63 chars of [A-Za-z0-9._-]; job ids fit the charset but not the length. */
export function jobIdLabel(jobId: string): string {
  return jobId.length <= 63 ? jobId.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, 'x') : shortHash(jobId, 63);
}

/**
 * When the command was received (ISO, ms): the first hop of the dispatch timing. A create cannot set
 * status, so it travels as an annotation and the operator copies it to status.timing.received.
 */
export const ANNOTATION_RECEIVED_AT = `${GROUP}/received-at`;

/** The TranscodeJob a CT job of `clientName` becomes (SQS START_JOB or the video API): deterministic name and labels. */
export function transcodeJobBody(o: {
  namespace: string;
  clientName: string;
  jobId: string;
  job: TranscodeJob['spec']['job'];
  source: 'sqs' | 'api';
  annotations?: Record<string, string>;
  /** Default: now. */
  receivedAt?: Date;
}): TranscodeJob {
  return {
    apiVersion: API_VERSION,
    kind: KINDS.TranscodeJob.kind,
    metadata: {
      name: jobName(o.clientName, o.jobId),
      namespace: o.namespace,
      labels: { [LABEL_CLIENT]: o.clientName, [LABEL_JOB_ID]: jobIdLabel(o.jobId) },
      annotations: { [ANNOTATION_RECEIVED_AT]: (o.receivedAt ?? new Date()).toISOString(), ...o.annotations },
    },
    spec: { clientRef: { name: o.clientName }, jobId: o.jobId, job: o.job, source: o.source },
  };
}
