// The retention controller: deletes finished TranscodeJobs once their TTL has run out (global
// CT_JOB_TTL_SECONDS or the client's spec.jobRetention.ttlSecondsAfterFinished), after their record is
// durable outside Kubernetes — the end message sent, the SWF execution closed, the job record in the
// client's output bucket (records.ts) and older than the settle time. Level-based: what to do is
// computed from the stored job (operator/job/retention.ts) and the record's metadata in S3, so any
// leader repeats it safely; the delete is conditional on the job's uid and resourceVersion, so a job
// that changed after its record was written is recorded again first. docs/retention.md.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { describeApiError, statusOf } from '../../lib/kube/client.js';
import { KINDS, GROUP, VERSION, LABEL_CLIENT } from '../../lib/kube/resources.js';
import type { Logger } from '../../lib/log.js';
import type { TranscodeClient } from '../../lib/schema/transcode-client.js';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';
import { finishedAt, retentionDecision, ttlMsFor } from '../job/retention.js';
import type { CacheReader, Controller, KubeObject, ObjectKey, ReconcileResult } from '../runtime/index.js';
import { jobsDeleted, recordsWritten } from './metrics.js';
import { recordArea, type JobRecords } from './records.js';
import type { RetentionSettings } from './settings.js';

export interface RetentionDeps {
  kc: KubeConfig;
  jobs: CacheReader<TranscodeJob>;
  clients: CacheReader<TranscodeClient>;
  records: JobRecords;
  settings: RetentionSettings;
  swfEnabled: boolean;
  log: Logger;
  now?: () => number;
}

/** A client without an output bucket (yet) is looked at again after this. */
const NO_BUCKET_RECHECK_MS = 60_000;

export function retentionController(deps: RetentionDeps): Controller<TranscodeJob> {
  const { kc, jobs, clients, records, settings, swfEnabled, log } = deps;
  const now = deps.now ?? Date.now;
  const api = kc.makeApiClient(CustomObjectsApi);
  /** Per client, what the retention of its jobs depends on, as last seen (one short string per client). */
  const clientFacts = new Map<ObjectKey, string>();

  async function reconcile(key: ObjectKey, job: TranscodeJob | undefined): Promise<ReconcileResult | void> {
    if (!job) return;
    const ns = job.metadata.namespace ?? 'default';
    const client = clients.get(`${ns}/${job.spec.clientRef.name}`);
    const t = now();
    const decision = retentionDecision(job, {
      ttlMs: ttlMsFor(client, settings.defaultTtlMs),
      now: t,
      swfEnabled,
      clientExists: client !== undefined,
    });
    if (decision.action === 'keep') return;
    if (decision.action === 'wait') return { requeueAfterMs: decision.afterMs };
    if (decision.record && client) {
      const area = recordArea(client);
      if (!area) {
        log.warn({ job: key, client: client.metadata.name }, 'the client has no output bucket for the job record yet; the job is kept');
        return { requeueAfterMs: NO_BUCKET_RECHECK_MS };
      }
      const head = await records.head(area, job.spec.jobId);
      if (!head || head.uid !== job.metadata.uid || head.resourceVersion !== job.metadata.resourceVersion) {
        await records.write(area, job);
        recordsWritten.inc();
        log.info({ job: key, job_id: job.spec.jobId, bucket: area.bucket }, 'job record written');
        if (settings.settleMs > 0) return { requeueAfterMs: settings.settleMs };
      } else {
        // Last-Modified has whole seconds: the record may be up to 1 s older than it says.
        const age = t - head.writtenAt - 1000;
        if (age < settings.settleMs) return { requeueAfterMs: settings.settleMs - age };
      }
    }
    try {
      await api.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: KINDS.TranscodeJob.plural,
        namespace: ns,
        name: job.metadata.name!,
        // Exactly the version that was recorded: a job that changed since is recorded again first.
        body: { preconditions: { uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion } },
      });
    } catch (err) {
      const code = statusOf(err);
      if (code === 404) return;
      // 409: it changed after this read; the watch brings the new version and this runs again.
      if (code === 409) return { requeueAfterMs: 1000 };
      throw new Error(`deleting job ${key} failed: ${describeApiError(err)}`, { cause: err });
    }
    jobsDeleted.inc({ kind: decision.record ? 'record' : 'no-client' });
    log.info(
      { job: key, job_id: job.spec.jobId, phase: job.status?.phase, finishedAt: new Date(finishedAt(job) ?? 0).toISOString() },
      'finished job deleted after its TTL',
    );
  }

  return {
    name: 'job-retention',
    kind: 'TranscodeJob',
    concurrency: settings.concurrency,
    // A client whose TTL, output bucket or existence changes re-decides its finished jobs. Only then:
    // the client's status changes with every job (its counters), and re-reading thousands of finished
    // jobs each time would be wasted work.
    watches: [
      {
        kind: 'TranscodeClient',
        map: (obj: KubeObject) => {
          const c = obj as TranscodeClient;
          const name = c.metadata?.name;
          if (!name) return [];
          const ck = `${c.metadata.namespace ?? 'default'}/${name}`;
          const facts = [
            c.metadata.uid,
            c.spec?.jobRetention?.ttlSecondsAfterFinished,
            c.status?.buckets?.output,
            !!c.metadata.deletionTimestamp,
          ];
          const sig = JSON.stringify(facts);
          if (clientFacts.get(ck) === sig) return [];
          clientFacts.set(ck, sig);
          return jobs
            .byLabel(LABEL_CLIENT, name, c.metadata.namespace)
            .filter((j) => finishedAt(j) !== undefined)
            .map((j) => `${j.metadata.namespace}/${j.metadata.name}`);
        },
      },
    ],
    reconcile,
  };
}
