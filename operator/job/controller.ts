// The TranscodeJob controller: the whole life of a job (contracts §1, §3).
//   Pending  → admission (client limits.maxConcurrentJobs) → SWF execution started → input probed on
//              S3 → tasks planned → Running (or Failed with CT's reason), in ONE status write;
//   Running  → SWF kept in line with the stored CR (recorder facts), cancellation, stall watchdog,
//              output outcomes and finalization (sizes, ffprobe, HLS master), job outcome → terminal.
// Level-based and idempotent: everything is derived from the CR and SWF, so a restart resumes.
// Writes are coalesced: at most one status write per reconcile, none when nothing changed, and
// progress-only changes at most every `progressWriteMs`.
import { randomUUID } from 'node:crypto';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../lib/log.js';
import { errorInfo } from '../../lib/log.js';
import { GROUP, VERSION, KINDS, LABEL_CLIENT, LABEL_JOB_ID } from '../../lib/kube/resources.js';
import { updateStatus } from '../../lib/kube/status.js';
import { isRequestTooLarge } from '../../lib/kube/client.js';
import { jobIdLabel } from '../../lib/ct/naming.js';
import { TaskState, type TranscodeJob, type TranscodeJobStatus, type OutputStatus } from '../../lib/schema/transcode-job.js';
import type { TranscodeClient } from '../../lib/schema/transcode-client.js';
import { probeObject, checkInput, displayFrame, ProbeError } from '../../lib/media/probe.js';
import { admissionProblem } from '../../lib/jobs/status-limits.js';
import type { CacheReader, ObjectKey } from '../runtime/cache.js';
import type { EventRecorder } from '../runtime/events.js';
import { objectKey } from '../runtime/cache.js';
import type { Controller, ReconcileResult } from '../runtime/controller.js';
import { setCondition } from '../runtime/conditions.js';
import { stableJson } from '../runtime/status.js';
import { planJob, normalizeKey, previewKey, type PlanContext } from './plan.js';
import { accessRefusals, checkJobAccess, entitlementsOf, type JobAccess } from '../../lib/ct/bucket-access.js';
import { conversionRefusal, effectiveOutput } from '../../lib/ct/conversion.js';
import { resolutionOf } from '../../lib/media/ladder.js';
import { resolveVideoEncoding } from '../../lib/presets/resolve.js';
import { blackFrameJpeg } from '../../lib/media/preview.js';
import {
  applyCancellation,
  applyWatchdog,
  updateOutputs,
  finishIfDone,
  jobProgress,
  nextStallCheck,
  isJobTerminal,
  tasksOf,
} from './lifecycle.js';
import { finalizeOutput, FinalizeError, type Finalized } from './finalize.js';
import { failTooLarge, TOO_LARGE_REASON } from './too-large.js';
import { applySwfFacts, type SwfFacts, type SwfRecorder } from '../swf/recorder.js';
import { jobKubeWrites, jobsPlanned, probeDuration } from './metrics.js';
import type { TranscodeRunner } from '../../lib/schema/transcode-runner.js';
import { RunnerAvailability } from './availability.js';
import type { SchedulingConfig } from './scheduling.js';
import { applyDeadlines, deadlineOf, expirePending, isPastDeadline, sweepLimitsFromEnv, type SweepLimits } from './sweeper.js';

export interface JobControllerOptions {
  kc: KubeConfig;
  log: Logger;
  jobs: CacheReader<TranscodeJob>;
  clients: CacheReader<TranscodeClient>;
  s3: S3Client;
  /** undefined = SWF recording off. */
  recorder?: SwfRecorder;
  /** Stall watchdog threshold (CT_STALL_SECONDS, default 180 s: 3× the official runner's 60 s update interval). */
  stallMs?: number;
  /** Minimum interval between progress-only status writes of one job. */
  progressWriteMs?: number;
  concurrency?: number;
  /** Last-resort limits (job deadline, stall timeouts per task); default from the environment. */
  sweep?: SweepLimits;
  now?: () => number;
  /** Kubernetes Events on the jobs (planned, rejected, finished). */
  events?: EventRecorder;
  /** Registered runners: which job types live runners serve (encoding policy, NoRunnerForTaskType). */
  runners?: CacheReader<TranscodeRunner>;
  scheduling?: SchedulingConfig;
}

export function stallMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['CT_STALL_SECONDS'];
  if (raw === undefined || raw === '') return 180_000;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 86400)
    throw new Error(`invalid CT_STALL_SECONDS ${JSON.stringify(raw)}: must be seconds between 0 and 86400`);
  return Math.round(n * 1000);
}

/** Parallel job reconciles (CT_JOB_CONCURRENCY, default 4): probes and SWF calls are mostly waiting. */
export function concurrencyFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['CT_JOB_CONCURRENCY'];
  if (raw === undefined || raw === '') return 4;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new Error(`invalid CT_JOB_CONCURRENCY ${JSON.stringify(raw)}: must be an integer between 1 and 256`);
  return n;
}

const ACTIVE_PHASES = new Set(['Probing', 'Running']);
const DEFAULT_MAX_CONCURRENT = 10;
const DEFAULT_CLIENT_PRIORITY = 100;

function created(j: TranscodeJob): string {
  return String(j.metadata.creationTimestamp ?? '');
}

export class JobController implements Controller<TranscodeJob> {
  readonly name = 'transcodejob';
  readonly kind = 'TranscodeJob' as const;
  readonly concurrency: number;
  readonly watches;
  private readonly api: CustomObjectsApi;
  private readonly stallMs: number;
  private readonly progressWriteMs: number;
  private readonly sweep: SweepLimits;
  private readonly now: () => number;
  /** Jobs admitted by this process whose Running status the cache has not shown yet (admission race guard). */
  private readonly admitting = new Set<ObjectKey>();
  private readonly lastWrite = new Map<ObjectKey, number>();
  /** Our last written version of each job: used instead of an informer copy that does not show it yet. */
  private readonly written = new Map<ObjectKey, TranscodeJob>();
  /** SWF facts whose status write failed, re-applied on the next reconcile of the job. */
  private readonly unwritten = new Map<ObjectKey, SwfFacts>();
  private readonly availability: RunnerAvailability | undefined;

  constructor(private readonly o: JobControllerOptions) {
    this.api = o.kc.makeApiClient(CustomObjectsApi);
    this.stallMs = o.stallMs ?? stallMsFromEnv();
    this.progressWriteMs = o.progressWriteMs ?? 3000;
    this.sweep = o.sweep ?? sweepLimitsFromEnv();
    this.now = o.now ?? Date.now;
    this.concurrency = o.concurrency ?? 4;
    this.availability =
      o.runners && o.scheduling ? new RunnerAvailability(o.runners, o.clients, o.scheduling, this.now, o.events) : undefined;
    // A job that ends frees a slot of its client: wake the client's queued jobs; a client change
    // (limits, creation) re-checks its jobs.
    this.watches = [
      {
        kind: 'TranscodeJob' as const,
        map: (obj: { metadata?: { namespace?: string } }) => this.queuedPeersOf(obj as TranscodeJob),
      },
      {
        kind: 'TranscodeClient' as const,
        map: (obj: { metadata?: { namespace?: string; name?: string } }) =>
          this.o.jobs
            .byLabel(LABEL_CLIENT, obj.metadata?.name ?? '', obj.metadata?.namespace)
            .filter((j) => !isJobTerminal(j.status))
            .map((j) => objectKey(j.metadata.namespace, j.metadata.name!)),
      },
      ...(this.availability ? [this.availability.watch(this.o.jobs)] : []),
    ];
  }

  private queuedPeersOf(job: TranscodeJob): ObjectKey[] {
    // Only a job that just ended frees a slot; periodic re-lists of old finished jobs must not fan out.
    if (!isJobTerminal(job.status)) return [];
    const ended = Date.parse(job.status?.completedAt ?? '');
    if (!(this.now() - ended < 120_000)) return [];
    return this.o.jobs
      .byLabel(LABEL_CLIENT, job.spec.clientRef.name, job.metadata.namespace)
      .filter((j) => (j.status?.phase ?? 'Pending') === 'Pending')
      .map((j) => objectKey(j.metadata.namespace, j.metadata.name!));
  }

  async reconcile(key: ObjectKey, job: TranscodeJob | undefined): Promise<ReconcileResult | void> {
    if (!job) {
      this.admitting.delete(key);
      this.lastWrite.delete(key);
      this.written.delete(key);
      this.unwritten.delete(key);
      return;
    }
    job = this.freshest(key, job);
    const log = this.o.log.child({ job: key });
    if (job.metadata.labels?.[LABEL_CLIENT] !== job.spec.clientRef.name || !job.metadata.labels?.[LABEL_JOB_ID]) {
      await this.setLabels(job);
      return; // the label change comes back through the informer
    }
    const phase = job.status?.phase ?? 'Pending';
    if (phase === 'Pending') return this.reconcilePending(key, job, log);
    this.admitting.delete(key);
    return this.reconcileActive(key, job, log);
  }

  // The informer may lag behind our own last write; acting on the older copy would repeat SWF calls.
  private freshest(key: ObjectKey, cached: TranscodeJob): TranscodeJob {
    const mine = this.written.get(key);
    if (!mine) return cached;
    const a = Number(cached.metadata.resourceVersion);
    const b = Number(mine.metadata.resourceVersion);
    if (Number.isFinite(a) && Number.isFinite(b) && b > a && mine.metadata.uid === cached.metadata.uid) return mine;
    this.written.delete(key);
    return cached;
  }

  private async setLabels(job: TranscodeJob): Promise<void> {
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

  private async write(key: ObjectKey, job: TranscodeJob, mutate: (s: TranscodeJobStatus) => void): Promise<TranscodeJob | undefined> {
    try {
      return await this.writeOnce(key, job, mutate);
    } catch (err) {
      if (!isRequestTooLarge(err)) throw err;
      // Retrying would loop forever: the job ends now, failed, in one compact write (too-large.ts).
      this.o.log.error({ job: key, err: errorInfo(err) }, 'job status too large for the cluster: failing the job');
      void this.o.events?.record(job, 'Warning', TOO_LARGE_REASON, 'the job status is too large to be stored');
      return this.writeOnce(key, job, (s) => failTooLarge(job, s, new Date(this.now()).toISOString()));
    }
  }

  private async writeOnce(key: ObjectKey, job: TranscodeJob, mutate: (s: TranscodeJobStatus) => void): Promise<TranscodeJob | undefined> {
    let wrote = false;
    const r = await updateStatus<TranscodeJob & { metadata: { name?: string } }>(
      this.o.kc,
      'TranscodeJob',
      job.metadata.namespace!,
      job.metadata.name!,
      (obj) => {
        const before = stableJson(obj.status ?? {});
        const status: TranscodeJobStatus = obj.status ?? {};
        mutate(status);
        status.observedGeneration = obj.metadata.generation;
        obj.status = status;
        wrote = stableJson(status) !== before;
        return wrote;
      },
      { current: structuredClone(job) },
    );
    if (wrote) {
      jobKubeWrites.inc({ write: 'status' });
      this.lastWrite.set(key, this.now());
      if (r) this.written.set(key, r);
    }
    return r;
  }

  // ---- Pending: admission, workflow start, probe, plan ----

  private async reconcilePending(key: ObjectKey, job: TranscodeJob, log: Logger): Promise<ReconcileResult | void> {
    const nowIso = new Date(this.now()).toISOString();
    if (job.spec.cancel) {
      await this.write(key, job, (s) => {
        if ((s.phase ?? 'Pending') !== 'Pending') return;
        s.phase = 'Canceled';
        s.reason = 'JOB_CANCELED';
        s.message = 'the job was canceled before it started';
        s.outputs = job.spec.job.outputs.map((o, index) => ({
          index,
          type: o.output_type,
          status: 'Canceled',
          bucket: o.output_bucket,
          reason: 'JOB_CANCELED',
        }));
        s.completedAt = nowIso;
        s.conditions = setCondition(
          s.conditions,
          { type: 'Completed', status: 'True', reason: 'Canceled', message: s.message },
          job.metadata.generation,
        );
      });
      return;
    }
    if (isPastDeadline(job, this.now(), this.sweep)) {
      await this.write(key, job, (s) => {
        if ((s.phase ?? 'Pending') !== 'Pending') return;
        expirePending(job, s, this.now(), this.sweep);
        s.conditions = setCondition(
          s.conditions,
          { type: 'Completed', status: 'True', reason: 'Failed', message: s.message! },
          job.metadata.generation,
        );
      });
      log.warn({ reason: 'deadline' }, 'job expired before it could start');
      return;
    }
    const client = this.o.clients.get(objectKey(job.metadata.namespace, job.spec.clientRef.name));
    if (!client) {
      await this.queued(
        key,
        job,
        'ClientNotFound',
        `TranscodeClient ${job.spec.clientRef.name} does not exist in namespace ${job.metadata.namespace}`,
      );
      return { requeueAfterMs: 30_000 };
    }
    const who = entitlementsOf(client);
    if (!who) {
      await this.queued(key, job, 'ClientNotReady', `the buckets of TranscodeClient ${job.spec.clientRef.name} are not known yet`);
      return { requeueAfterMs: 10_000 };
    }
    const max = client.spec.limits?.maxConcurrentJobs ?? DEFAULT_MAX_CONCURRENT;
    const peers = this.o.jobs.byLabel(LABEL_CLIENT, job.spec.clientRef.name, job.metadata.namespace);
    let active = 0;
    const waiting: TranscodeJob[] = [];
    for (const p of peers) {
      const pk = objectKey(p.metadata.namespace, p.metadata.name!);
      const ph = p.status?.phase ?? 'Pending';
      if (ACTIVE_PHASES.has(ph) || (ph === 'Pending' && this.admitting.has(pk) && pk !== key)) active += 1;
      else if (ph === 'Pending' && !p.spec.cancel && pk !== key) waiting.push(p);
    }
    // First come, first served: only the oldest queued jobs take the free slots.
    const ahead = waiting.filter(
      (p) => created(p) < created(job) || (created(p) === created(job) && p.metadata.name! < job.metadata.name!),
    ).length;
    if (active + ahead >= max) {
      await this.queued(
        key,
        job,
        'ConcurrencyLimit',
        `${active} of ${max} jobs of client ${job.spec.clientRef.name} are running; ${ahead} queued ahead of this one`,
      );
      return;
    }
    this.admitting.add(key); // synchronous with the check above: no other reconcile can take this slot
    try {
      return await this.start(key, job, client, checkJobAccess(who, job.spec.job), log);
    } catch (err) {
      this.admitting.delete(key);
      throw err;
    }
  }

  private async queued(key: ObjectKey, job: TranscodeJob, reason: string, message: string): Promise<void> {
    await this.write(key, job, (s) => {
      s.phase = 'Pending';
      s.reason = reason;
      s.message = message;
      s.conditions = setCondition(s.conditions, { type: 'Admitted', status: 'False', reason, message }, job.metadata.generation);
    });
  }

  private async start(
    key: ObjectKey,
    job: TranscodeJob,
    client: TranscodeClient,
    access: JobAccess,
    log: Logger,
  ): Promise<ReconcileResult | void> {
    const workflow = this.o.recorder ? await this.o.recorder.ensureWorkflow(job) : undefined;
    let failure: { reason: string; message: string } | undefined;
    let probe: TranscodeJobStatus['probe'];
    // Jobs created with kubectl or the video API skip the SQS admission: the same size check here.
    const tooLarge = admissionProblem(job.spec.job);
    // Isolation first: an input the client may not read is never touched (not even a HeadObject).
    if (tooLarge) {
      failure = { reason: 'JOB_TOO_LARGE', message: tooLarge };
    } else if (!access.input.ok) {
      failure = { reason: access.input.reason, message: access.input.details };
    } else {
      const input = { bucket: job.spec.job.input_bucket, key: access.input.key };
      const end = probeDuration.startTimer();
      try {
        probe = await probeObject(this.o.s3, input.bucket, input.key);
        checkInput(probe, job.spec.job.input_type, `input s3://${input.bucket}/${input.key}`);
      } catch (err) {
        if (!(err instanceof ProbeError)) throw err;
        failure = err;
      } finally {
        end();
      }
    }
    for (const [index, r] of access.outputs) {
      log.warn({ output: index, reason: r.reason, details: r.details }, 'output refused: bucket access');
    }
    const refusals = accessRefusals(access);
    if (access.input.ok && refusals.length) {
      void this.o.events?.record(job, 'Warning', refusals[0]!.reason, refusals.map((r) => r.details).join('; '));
    }
    const nowIso = new Date(this.now()).toISOString();
    const pre = probe && !failure ? await this.preChecks(job, probe, access.outputs) : undefined;
    const plan =
      probe && !failure
        ? planJob({
            job,
            probe,
            clientPriority: client.spec.limits?.priority ?? DEFAULT_CLIENT_PRIORITY,
            now: nowIso,
            newUuid: randomUUID,
            ...pre,
          })
        : undefined;
    if (plan) this.availability?.choosePlannedTypes(job, plan, nowIso);
    await this.write(key, job, (s) => {
      if ((s.phase ?? 'Pending') !== 'Pending') return; // someone else got there first
      if (workflow) s.workflow = { ...s.workflow, ...workflow };
      s.startedAt = nowIso;
      delete s.reason;
      delete s.message;
      s.conditions = setCondition(
        s.conditions,
        { type: 'Admitted', status: 'True', reason: 'Admitted', message: 'the job is running' },
        job.metadata.generation,
      );
      if (probe) s.probe = probe;
      if (failure || !plan) {
        const reason = failure?.reason ?? 'GET_VIDEO_INFO_FAILED';
        const message = failure?.message ?? 'probe failed';
        s.phase = 'Failed';
        s.reason = reason;
        s.message = message;
        s.outputs = job.spec.job.outputs.map((o, index) => ({
          index,
          type: o.output_type,
          status: 'Failed',
          bucket: o.output_bucket,
          reason,
          details: message,
        }));
        s.tasks = [];
        s.progress = 0;
        s.completedAt = nowIso;
        s.conditions = setCondition(
          s.conditions,
          { type: 'Completed', status: 'True', reason: 'Failed', message },
          job.metadata.generation,
        );
        return;
      }
      s.tasks = plan.tasks;
      s.outputs = plan.outputs;
      s.progress = 0;
      s.phase = 'Running';
      // Every output invalid: nothing to run, the job fails now.
      if (!finishIfDone(job, s, nowIso)) return;
      s.conditions = setCondition(
        s.conditions,
        { type: 'Completed', status: 'True', reason: s.phase, message: s.message ?? '' },
        job.metadata.generation,
      );
    });
    jobsPlanned.inc();
    if (failure) {
      log.info({ reason: failure.reason, message: failure.message }, 'input rejected');
      void this.o.events?.record(job, 'Warning', failure.reason, failure.message);
    } else {
      log.info({ tasks: plan?.tasks.length, outputs: plan?.outputs.map((o) => o.status) }, 'job planned');
      const failed = plan?.outputs.filter((o) => o.status === 'Failed') ?? [];
      void this.o.events?.record(
        job,
        failed.length ? 'Warning' : 'Normal',
        'Planned',
        `${plan?.tasks.length ?? 0} runner tasks for ${plan?.outputs.length ?? 0} outputs` +
          (failed.length ? `; refused: ${failed.map((o) => `output ${o.index} ${o.reason}: ${o.details}`).join('; ')}` : ''),
      );
    }
  }

  /** Output checks that need I/O: watermark images exist; still images for audio-only VIDEO outputs. */
  private async preChecks(
    job: TranscodeJob,
    probe: NonNullable<TranscodeJobStatus['probe']>,
    refused: JobAccess['outputs'],
  ): Promise<Pick<PlanContext, 'failed' | 'previews'>> {
    // Outputs refused by the bucket entitlements fail as they are; no S3 call is made for them.
    const failed: NonNullable<PlanContext['failed']> = new Map(refused);
    const previews: NonNullable<PlanContext['previews']> = new Map();
    for (const [index, spec] of job.spec.job.outputs.entries()) {
      if (spec.output_type !== 'VIDEO' || failed.has(index)) continue;
      if (conversionRefusal(job.spec.job.input_type, spec)) continue; // the planner reports it
      if (spec.watermark) {
        const wm = { bucket: spec.watermark.input_bucket, key: normalizeKey(spec.watermark.input_file) };
        try {
          await this.o.s3.send(new HeadObjectCommand({ Bucket: wm.bucket, Key: wm.key }));
        } catch (err) {
          failed.set(index, {
            reason: 'WATERMARK_ERROR',
            details: `watermark image s3://${wm.bucket}/${wm.key} cannot be read: ${(err as Error).name}`,
          });
        }
      }
      if (!probe.video && !spec.watermark) {
        const enc = resolveVideoEncoding(spec, undefined);
        if (!enc.ok) continue; // the planner reports it
        const ref = { bucket: spec.output_bucket, key: previewKey(spec.output_file) };
        try {
          const body = await blackFrameJpeg(enc.value.width, enc.value.height);
          await this.o.s3.send(new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: body, ContentType: 'image/jpeg' }));
          previews.set(index, ref);
        } catch (err) {
          failed.set(index, {
            reason: 'S3_OPS_FAILED',
            details: `cannot store the still image for the audio merge at s3://${ref.bucket}/${ref.key}: ${(err as Error).message}`,
          });
        }
      }
    }
    return { failed, previews };
  }

  // ---- Running and after: SWF, cancellation, watchdog, outputs, outcome ----

  private async reconcileActive(key: ObjectKey, job: TranscodeJob, log: Logger): Promise<ReconcileResult | void> {
    const stored = job.status ?? {};
    const terminal = isJobTerminal(stored);
    if (terminal && (!this.o.recorder || stored.workflow?.closed)) return;

    // SWF facts not written yet (the last write lost its conflicts) are SWF reality: apply them first,
    // so a task token from PollForActivityTask is never forgotten while this process lives.
    const pending = this.unwritten.get(key);
    if (pending) {
      job = structuredClone(job);
      job.status = job.status ?? {};
      applySwfFacts(job.status, pending);
    }
    let fresh: SwfFacts = { tasks: new Map() };
    try {
      if (this.o.recorder) fresh = await this.o.recorder.sync(job);
    } catch (err) {
      // Past its deadline a job ends even when SWF keeps failing: its client must hear from us.
      if (terminal || !isPastDeadline(job, this.now(), this.sweep)) throw err;
      log.warn({ err: errorInfo(err) }, 'SWF sync failed past the job deadline; ending the job without it');
    }
    const facts: SwfFacts = {
      ...(pending?.workflow || fresh.workflow
        ? { workflow: { ...pending?.workflow, ...fresh.workflow } as NonNullable<SwfFacts['workflow']> }
        : {}),
      tasks: new Map([...(pending?.tasks ?? []), ...fresh.tasks]),
      ...(fresh.retryMs !== undefined ? { retryMs: fresh.retryMs } : {}),
    };

    // Finalize outputs whose tasks all completed (I/O outside the status mutation).
    const finalized = new Map<number, Finalized>();
    if (!terminal) {
      const probeCopy = structuredClone(stored);
      const { ready } = updateOutputs(job, probeCopy, new Date(this.now()).toISOString());
      for (const index of ready) {
        const spec = job.spec.job.outputs[index];
        if (!spec) continue;
        try {
          const frame = stored.probe ? displayFrame(stored.probe) : undefined;
          const made = effectiveOutput(spec, frame ? resolutionOf(frame.width, frame.height) : undefined);
          finalized.set(index, await finalizeOutput(this.o.s3, made, index, tasksOf(stored, index)));
        } catch (err) {
          if (!(err instanceof FinalizeError)) throw err;
          log.warn({ output: index, err: err.message }, 'output result check failed');
          finalized.set(index, { status: 'Failed', bucket: spec.output_bucket, reason: 'S3_OPS_FAILED', details: err.message });
        }
      }
    }

    const nowMs = this.now();
    const nowIso = new Date(nowMs).toISOString();
    const mutate = (s: TranscodeJobStatus): void => {
      applySwfFacts(s, facts);
      if (isJobTerminal(s)) return;
      applyCancellation(job, s, nowIso);
      applyWatchdog(s, nowMs, this.stallMs);
      this.availability?.apply(job, s, nowMs);
      applyDeadlines(job, s, nowMs, this.sweep);
      updateOutputs(job, s, nowIso);
      for (const out of s.outputs ?? []) {
        const f = finalized.get(out.index);
        if (!f || out.status === 'Succeeded' || out.status === 'Failed' || out.status === 'Canceled') continue;
        if (!tasksOf(s, out.index).every((t) => t.state === TaskState.COMPLETED)) continue;
        Object.assign(out, f satisfies Partial<OutputStatus>);
      }
      s.progress = jobProgress(s);
      if (finishIfDone(job, s, nowIso)) {
        s.conditions = setCondition(
          s.conditions,
          { type: 'Completed', status: 'True', reason: s.phase!, message: s.message ?? '' },
          job.metadata.generation,
        );
      }
    };

    // Coalescing: a change of `progress` alone waits until progressWriteMs after our last write.
    const preview = structuredClone(stored);
    mutate(preview);
    const progressOnly =
      stableJson({ ...preview, progress: 0 }) === stableJson({ ...stored, progress: 0 }) && preview.progress !== stored.progress;
    const sinceWrite = nowMs - (this.lastWrite.get(key) ?? 0);
    let requeue: number | undefined = facts.retryMs;
    if (progressOnly && sinceWrite < this.progressWriteMs) {
      requeue = Math.min(requeue ?? Infinity, this.progressWriteMs - sinceWrite);
    } else {
      try {
        await this.write(key, job, mutate);
        this.unwritten.delete(key);
      } catch (err) {
        if (facts.workflow || facts.tasks.size) this.unwritten.set(key, facts);
        log.warn({ err: errorInfo(err) }, 'status write failed');
        throw err;
      }
    }
    if (isJobTerminal(preview) && !terminal) {
      void this.o.events?.record(job, preview.phase === 'Succeeded' ? 'Normal' : 'Warning', preview.phase!, preview.message ?? '');
    }
    if (!isJobTerminal(stored)) this.availability?.report(job, stored, preview);
    const avail = this.availability?.nextCheck(preview);
    if (avail !== undefined) requeue = Math.min(requeue ?? Infinity, Math.max(100, avail - nowMs));
    const stall = nextStallCheck(preview, this.stallMs);
    if (stall !== undefined) requeue = Math.min(requeue ?? Infinity, Math.max(100, stall - nowMs));
    const deadline = deadlineOf(job, this.sweep);
    if (!isJobTerminal(preview) && Number.isFinite(deadline)) requeue = Math.min(requeue ?? Infinity, Math.max(100, deadline - nowMs + 50));
    // Job over but the SWF execution not closed yet: come back soon.
    if (isJobTerminal(preview) && this.o.recorder && !preview.workflow?.closed)
      requeue = Math.min(requeue ?? Infinity, this.o.recorder.cfg.pollBackoffMs);
    return requeue !== undefined && Number.isFinite(requeue) ? { requeueAfterMs: Math.round(requeue) } : undefined;
  }
}

export function createJobController(o: JobControllerOptions): JobController {
  return new JobController(o);
}
