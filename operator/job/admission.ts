// Admission of a Pending job, decided without I/O: its client exists and its buckets are known,
// and the client's limits.maxConcurrentJobs has a free slot for it (first come, first served).
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';
import type { TranscodeClient } from '../../lib/schema/transcode-client.js';
import { AdmittedReason } from '../../lib/schema/job-conditions.js';
import { entitlementsOf } from '../../lib/ct/bucket-access.js';
import { objectKey, type ObjectKey } from '../../lib/kube/object.js';

export const DEFAULT_MAX_CONCURRENT = 10;
const ACTIVE_PHASES = new Set(['Probing', 'Running']);

export type Admission =
  | { admit: true; client: TranscodeClient; who: NonNullable<ReturnType<typeof entitlementsOf>> }
  | { admit: false; reason: Exclude<AdmittedReason, 'Admitted'>; message: string; requeueAfterMs?: number };

export interface AdmissionInput {
  key: ObjectKey;
  job: TranscodeJob;
  client: TranscodeClient | undefined;
  /** The client's jobs in the job's namespace (from the cache). */
  peers: readonly TranscodeJob[];
  /** Jobs admitted by this process whose Running status the cache does not show yet. */
  admitting: ReadonlySet<ObjectKey>;
}

function created(j: TranscodeJob): string {
  return String(j.metadata.creationTimestamp ?? '');
}

export function decideAdmission({ key, job, client, peers, admitting }: AdmissionInput): Admission {
  const clientName = job.spec.clientRef.name;
  if (!client) {
    return {
      admit: false,
      reason: AdmittedReason.ClientNotFound,
      message: `TranscodeClient ${clientName} does not exist in namespace ${job.metadata.namespace}`,
      requeueAfterMs: 30_000,
    };
  }
  const who = entitlementsOf(client);
  if (!who) {
    return {
      admit: false,
      reason: AdmittedReason.ClientNotReady,
      message: `the buckets of TranscodeClient ${clientName} are not known yet`,
      requeueAfterMs: 10_000,
    };
  }
  const max = client.spec.limits?.maxConcurrentJobs ?? DEFAULT_MAX_CONCURRENT;
  let active = 0;
  const waiting: TranscodeJob[] = [];
  for (const p of peers) {
    const pk = objectKey(p.metadata.namespace, p.metadata.name!);
    const ph = p.status?.phase ?? 'Pending';
    if (ACTIVE_PHASES.has(ph) || (ph === 'Pending' && admitting.has(pk) && pk !== key)) active += 1;
    else if (ph === 'Pending' && !p.spec.cancel && pk !== key) waiting.push(p);
  }
  // First come, first served: only the oldest queued jobs take the free slots.
  const ahead = waiting.filter(
    (p) => created(p) < created(job) || (created(p) === created(job) && p.metadata.name! < job.metadata.name!),
  ).length;
  if (active + ahead >= max) {
    return {
      admit: false,
      reason: AdmittedReason.ConcurrencyLimit,
      message: `${active} of ${max} jobs of client ${clientName} are running; ${ahead} queued ahead of this one`,
    };
  }
  return { admit: true, client, who };
}
