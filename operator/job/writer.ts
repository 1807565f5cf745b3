// The job reconciler's writes: labels (metadata) and the single status write of a reconcile.
// A status write skips when nothing changed, sets Completed on a terminal transition
// (completion.ts), and turns an apiserver "too large" refusal into a compact failed job
// (too-large.ts) instead of a retry loop. It remembers our last written copy of each job: the
// informer may lag behind it, and acting on the older copy would repeat SWF calls.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../lib/log.js';
import { errorInfo } from '../../lib/log.js';
import { GROUP, VERSION, KINDS, LABEL_CLIENT, LABEL_JOB_ID } from '../../lib/kube/resources.js';
import { updateStatus } from '../../lib/kube/status.js';
import { reconcileGuards } from '../../lib/jobs/status-guards.js';
import { isRequestTooLarge } from '../../lib/kube/client.js';
import { jobIdLabel } from '../../lib/ct/naming.js';
import type { TranscodeJob, TranscodeJobStatus } from '../../lib/schema/transcode-job.js';
import type { ObjectKey } from '../../lib/kube/object.js';
import type { EventRecorder } from '../runtime/events.js';
import { stableJson } from '../../lib/kube/status.js';
import { failTooLarge, TOO_LARGE_REASON } from './too-large.js';
import { markCompleted } from './completion.js';
import { jobKubeWrites } from './metrics.js';

export type StatusMutation = (s: TranscodeJobStatus) => void;

export class JobWriter {
  private readonly api: CustomObjectsApi;
  private readonly lastWrite = new Map<ObjectKey, number>();
  /** Our last written version of each job: used instead of an informer copy that does not show it yet. */
  private readonly written = new Map<ObjectKey, TranscodeJob>();

  constructor(private readonly o: { kc: KubeConfig; log: Logger; events?: EventRecorder | undefined; now: () => number }) {
    this.api = o.kc.makeApiClient(CustomObjectsApi);
  }

  forget(key: ObjectKey): void {
    this.lastWrite.delete(key);
    this.written.delete(key);
  }

  /** When we last changed the job's status (0 = never in this process). */
  lastWriteOf(key: ObjectKey): number {
    return this.lastWrite.get(key) ?? 0;
  }

  freshest(key: ObjectKey, cached: TranscodeJob): TranscodeJob {
    const mine = this.written.get(key);
    if (!mine) return cached;
    const a = Number(cached.metadata.resourceVersion);
    const b = Number(mine.metadata.resourceVersion);
    if (Number.isFinite(a) && Number.isFinite(b) && b > a && mine.metadata.uid === cached.metadata.uid) return mine;
    this.written.delete(key);
    return cached;
  }

  hasLabels(job: TranscodeJob): boolean {
    return job.metadata.labels?.[LABEL_CLIENT] === job.spec.clientRef.name && !!job.metadata.labels?.[LABEL_JOB_ID];
  }

  async setLabels(job: TranscodeJob): Promise<void> {
    jobKubeWrites.inc({ write: 'metadata' });
    await this.api.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        namespace: job.metadata.namespace!,
        plural: KINDS.TranscodeJob.plural,
        name: job.metadata.name!,
        body: { metadata: { labels: { [LABEL_CLIENT]: job.spec.clientRef.name, [LABEL_JOB_ID]: jobIdLabel(job.spec.jobId) } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  async write(key: ObjectKey, job: TranscodeJob, mutate: StatusMutation): Promise<TranscodeJob | undefined> {
    try {
      return await this.writeOnce(key, job, mutate);
    } catch (err) {
      if (!isRequestTooLarge(err)) throw err;
      // Retrying would loop forever: the job ends now, failed, in one compact write (too-large.ts).
      this.o.log.error({ job: key, err: errorInfo(err) }, 'job status too large for the cluster: failing the job');
      void this.o.events?.record(job, 'Warning', TOO_LARGE_REASON, 'the job status is too large to be stored');
      return this.writeOnce(key, job, (s) => failTooLarge(job, s, new Date(this.o.now()).toISOString()));
    }
  }

  private async writeOnce(key: ObjectKey, job: TranscodeJob, mutate: StatusMutation): Promise<TranscodeJob | undefined> {
    let wrote = false;
    const r = await updateStatus<TranscodeJob & { metadata: { name?: string } }>(
      this.o.kc,
      'TranscodeJob',
      job.metadata.namespace!,
      job.metadata.name!,
      (obj) => {
        const before = stableJson(obj.status ?? {});
        const status: TranscodeJobStatus = obj.status ?? {};
        const was = structuredClone(status);
        mutate(status);
        markCompleted(job, was, status);
        status.observedGeneration = obj.metadata.generation;
        obj.status = status;
        wrote = stableJson(status) !== before;
        return wrote;
      },
      { current: structuredClone(job), writer: 'job', guard: reconcileGuards },
    );
    if (wrote) {
      jobKubeWrites.inc({ write: 'status' });
      this.lastWrite.set(key, this.o.now());
      if (r) this.written.set(key, r);
    }
    return r;
  }
}
