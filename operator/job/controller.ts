// The TranscodeJob reconciler: the whole life of a job (docs/ct-protocol.md). It orchestrates I/O
// (SWF, S3 probe, pre-checks, finalization) and does the single status write of each reconcile;
// the decisions are pure modules: admission.ts, pending.ts, active.ts, plan.ts + outputs/.
//   Pending  → admission (client limits.maxConcurrentJobs) → SWF execution started → input probed on
//              S3 → tasks planned → Running (or Failed with CT's reason), in ONE status write;
//   Running  → SWF kept in line with the stored CR (recorder facts), cancellation, stall watchdog,
//              output outcomes and finalization (sizes, ffprobe, HLS master), job outcome → terminal.
// Level-based and idempotent: everything is derived from the CR and SWF, so a restart resumes.
// Writes are coalesced: at most one status write per reconcile, none when nothing changed, and none
// for changes that can wait (progress, SWF facts a restart finds again: active.ts mustWriteNow);
// those ride along with the next needed write. Per job: start (Running with its tasks), one per
// task token (SWF on), one per finished output, the end folded with the SWF close (docs/dispatch.md).
import { randomUUID } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../lib/log.js';
import { errorInfo } from '../../lib/log.js';
import { LABEL_CLIENT } from '../../lib/kube/resources.js';
import type { JobTiming, TranscodeJob, TranscodeJobStatus } from '../../lib/schema/transcode-job.js';
import type { TranscodeClient } from '../../lib/schema/transcode-client.js';
import { probeObject, checkInput, displayFrame, ProbeError } from '../../lib/media/probe.js';
import { admissionProblem } from '../../lib/jobs/status-limits.js';
import type { CacheReader } from '../../lib/kube/cache.js';
import type { EventRecorder } from '../runtime/events.js';
import { objectKey, type ObjectKey } from '../../lib/kube/object.js';
import type { Controller, ReconcileResult } from '../runtime/controller.js';
import { planJob } from './plan.js';
import { accessRefusals, checkJobAccess, type JobAccess } from '../../lib/ct/bucket-access.js';
import { effectiveOutput } from '../../lib/ct/conversion.js';
import { resolutionOf } from '../../lib/media/ladder.js';
import { updateOutputs, isJobTerminal, tasksOf } from './lifecycle.js';
import { discardIntermediates, finalizeOutput, FinalizeError, type Finalized } from './finalize.js';
import { applySwfFacts, type SwfFacts, type SwfRecorder } from '../swf/recorder.js';
import { jobsPlanned, probeDuration } from './metrics.js';
import { JobWriter } from './writer.js';
import { markCompleted } from './completion.js';
import type { TranscodeRunner } from '../../lib/schema/transcode-runner.js';
import { RunnerAvailability } from './availability.js';
import type { SchedulingConfig } from './scheduling.js';
import { expirePending, isPastDeadline, type SweepLimits } from './sweeper.js';
import { decideAdmission } from './admission.js';
import { preCheckOutputs } from './pre-checks.js';
import { applyStart, cancelBeforeStart, markQueued, receivedAt, type StartOutcome } from './pending.js';
import { activeMutation, mustWriteNow, mergeFacts, nextRequeue, scheduledTaken } from './active.js';
import { stableJson } from '../../lib/kube/status.js';

export interface JobControllerOptions {
  kc: KubeConfig;
  log: Logger;
  jobs: CacheReader<TranscodeJob>;
  clients: CacheReader<TranscodeClient>;
  s3: S3Client;
  /** undefined = SWF recording off. */
  recorder?: SwfRecorder;
  /** Stall watchdog threshold (CT_STALL_SECONDS, default 180 s: 3× the official runner's 60 s update interval). */
  stallMs: number;
  /**
   * Changes that can wait (job progress, SWF facts a restart finds again: active.ts mustWriteNow) are
   * written on their own at most this often; undefined (default): only with the next needed write.
   */
  progressWriteMs?: number;
  concurrency?: number;
  /** Last-resort limits (job deadline, stall timeouts per task); default from the environment. */
  sweep: SweepLimits;
  now?: () => number;
  /** Kubernetes Events on the jobs (planned, rejected, finished). */
  events?: EventRecorder;
  /** Registered runners: which job types live runners serve (encoding policy, NoRunnerForTaskType). */
  runners?: CacheReader<TranscodeRunner>;
  scheduling?: SchedulingConfig;
}

const DEFAULT_CLIENT_PRIORITY = 100;

export class JobController implements Controller<TranscodeJob> {
  readonly name = 'transcodejob';
  readonly kind = 'TranscodeJob' as const;
  readonly concurrency: number;
  readonly watches;
  private readonly writer: JobWriter;
  private readonly stallMs: number;
  private readonly progressWriteMs: number | undefined;
  private readonly sweep: SweepLimits;
  private readonly now: () => number;
  /** Jobs admitted by this process whose Running status the cache has not shown yet (admission race guard). */
  private readonly admitting = new Set<ObjectKey>();
  /** SWF facts whose status write failed, re-applied on the next reconcile of the job. */
  private readonly unwritten = new Map<ObjectKey, SwfFacts>();
  private readonly availability: RunnerAvailability | undefined;

  constructor(private readonly o: JobControllerOptions) {
    this.stallMs = o.stallMs;
    this.progressWriteMs = o.progressWriteMs;
    this.sweep = o.sweep;
    this.now = o.now ?? Date.now;
    this.writer = new JobWriter({ kc: o.kc, log: o.log, events: o.events, now: this.now });
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

  private isoNow(): string {
    return new Date(this.now()).toISOString();
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
      this.writer.forget(key);
      this.unwritten.delete(key);
      return;
    }
    job = this.writer.freshest(key, job);
    const log = this.o.log.child({ job: key });
    if (!this.writer.hasLabels(job)) {
      await this.writer.setLabels(job);
      return; // the label change comes back through the informer
    }
    const phase = job.status?.phase ?? 'Pending';
    if (phase === 'Pending') return this.reconcilePending(key, job, log);
    this.admitting.delete(key);
    return this.reconcileActive(key, job, log);
  }

  // ---- Pending: admission, workflow start, probe, plan ----

  private async reconcilePending(key: ObjectKey, job: TranscodeJob, log: Logger): Promise<ReconcileResult | void> {
    const nowIso = new Date(this.now()).toISOString();
    if (job.spec.cancel) {
      await this.writer.write(key, job, (s) => cancelBeforeStart(job, s, nowIso));
      return;
    }
    if (isPastDeadline(job, this.now(), this.sweep)) {
      await this.writer.write(key, job, (s) => {
        if ((s.phase ?? 'Pending') === 'Pending') expirePending(job, s, this.now(), this.sweep);
      });
      log.warn({ reason: 'deadline' }, 'job expired before it could start');
      return;
    }
    const decision = decideAdmission({
      key,
      job,
      client: this.o.clients.get(objectKey(job.metadata.namespace, job.spec.clientRef.name)),
      peers: this.o.jobs.byLabel(LABEL_CLIENT, job.spec.clientRef.name, job.metadata.namespace),
      admitting: this.admitting,
    });
    if (!decision.admit) {
      await this.writer.write(key, job, (s) => markQueued(job, s, decision.reason, decision.message));
      return decision.requeueAfterMs !== undefined ? { requeueAfterMs: decision.requeueAfterMs } : undefined;
    }
    this.admitting.add(key); // synchronous with the decision above: no other reconcile can take this slot
    try {
      return await this.start(key, job, decision.client, checkJobAccess(decision.who, job.spec.job), log);
    } catch (err) {
      this.admitting.delete(key);
      throw err;
    }
  }

  /** I/O of a start (SWF execution, input probe, output pre-checks), then the plan, in one write. */
  private async start(key: ObjectKey, job: TranscodeJob, client: TranscodeClient, access: JobAccess, log: Logger): Promise<void> {
    const timing: JobTiming = { ...receivedAt(job), admitted: this.isoNow() };
    // The SWF start and the probe are independent: in parallel, off each other's critical path.
    const [workflow, { probe, failure }] = await Promise.all([
      this.o.recorder?.ensureWorkflow(job).then((w) => ((timing.workflowStarted = this.isoNow()), w)),
      this.probeInput(job, access).then((r) => ((timing.probed = this.isoNow()), r)),
    ]);
    for (const [index, r] of access.outputs) {
      log.warn({ output: index, reason: r.reason, details: r.details }, 'output refused: bucket access');
    }
    const refusals = accessRefusals(access);
    if (access.input.ok && refusals.length) {
      void this.o.events?.record(job, 'Warning', refusals[0]!.reason, refusals.map((r) => r.details).join('; '));
    }
    const nowIso = new Date(this.now()).toISOString();
    const pre = probe && !failure ? await preCheckOutputs(this.o.s3, job, probe, access.outputs) : undefined;
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
    if (plan) timing.planned = this.isoNow();
    const outcome: StartOutcome = { nowIso, workflow, probe, failure, plan, timing };
    await this.writer.write(key, job, (s) => applyStart(job, s, outcome));
    jobsPlanned.inc();
    this.reportStart(job, outcome, log);
  }

  /** Size limits and isolation first: an input the client may not read is never touched (not even a HeadObject). */
  private async probeInput(job: TranscodeJob, access: JobAccess): Promise<Pick<StartOutcome, 'probe' | 'failure'>> {
    // Jobs created with kubectl or the video API skip the SQS admission: the same size check here.
    const tooLarge = admissionProblem(job.spec.job);
    if (tooLarge) return { probe: undefined, failure: { reason: 'JOB_TOO_LARGE', message: tooLarge } };
    if (!access.input.ok) return { probe: undefined, failure: { reason: access.input.reason, message: access.input.details } };
    const input = { bucket: job.spec.job.input_bucket, key: access.input.key };
    const end = probeDuration.startTimer();
    let probe: TranscodeJobStatus['probe'];
    try {
      probe = await probeObject(this.o.s3, input.bucket, input.key);
      checkInput(probe, job.spec.job.input_type, `input s3://${input.bucket}/${input.key}`);
      return { probe, failure: undefined };
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      return { probe, failure: err };
    } finally {
      end();
    }
  }

  private reportStart(job: TranscodeJob, { failure, plan }: StartOutcome, log: Logger): void {
    if (failure) {
      log.info({ reason: failure.reason, message: failure.message }, 'input rejected');
      void this.o.events?.record(job, 'Warning', failure.reason, failure.message);
      return;
    }
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
    let facts = mergeFacts(pending, await this.syncSwf(job, terminal, log));
    // Activities scheduled just now for tasks a runner took meanwhile: start them in this reconcile
    // too, so `scheduled` and the task token are one write, not two.
    if (!terminal && scheduledTaken(job.status, facts)) {
      const next = structuredClone(job);
      applySwfFacts((next.status ??= {}), facts);
      facts = mergeFacts(facts, await this.syncSwf(next, terminal, log));
    }
    const finalized = terminal ? new Map<number, Finalized>() : await this.finalizeReady(job, stored, log);

    const nowMs = this.now();
    const mutation = (f: SwfFacts) =>
      activeMutation({ job, facts: f, finalized, nowMs, stallMs: this.stallMs, sweep: this.sweep, availability: this.availability });
    let mutate = mutation(facts);
    let preview = this.previewOf(job, stored, mutate);
    // The job ends now: close its SWF execution before the write, so the end and the closed execution
    // are one write instead of two (and a decision task is waiting: the last activity just closed).
    if (this.o.recorder && !terminal && isJobTerminal(preview) && !preview.workflow?.closed) {
      facts = mergeFacts(facts, await this.syncSwf({ ...job, status: preview }, true, log));
      mutate = mutation(facts);
      preview = this.previewOf(job, stored, mutate);
    }
    await discardIntermediates(this.o.s3, stored, preview).catch((err: unknown) =>
      log.warn({ err: errorInfo(err) }, 'intermediate segment files of an ended output could not be deleted'),
    );
    const sinceWrite = nowMs - this.writer.lastWriteOf(key);
    let base: number | undefined = facts.retryMs;
    const due = this.progressWriteMs !== undefined && sinceWrite >= this.progressWriteMs && stableJson(preview) !== stableJson(stored);
    if (!mustWriteNow(stored, preview) && !due) {
      // Nothing that must be stored now: what changed rides along with the next write.
      if (facts.workflow || facts.tasks.size) this.unwritten.set(key, facts);
      if (this.progressWriteMs !== undefined && stableJson(preview) !== stableJson(stored))
        base = Math.min(base ?? Infinity, this.progressWriteMs - sinceWrite);
    } else {
      try {
        await this.writer.write(key, job, mutate);
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
    if (!terminal) this.availability?.report(job, stored, preview);
    const requeue = nextRequeue({
      job,
      next: preview,
      nowMs,
      stallMs: this.stallMs,
      sweep: this.sweep,
      base,
      availabilityCheck: this.availability?.nextCheck(preview),
      swfPollBackoffMs: this.o.recorder?.cfg.pollBackoffMs,
    });
    return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
  }

  private previewOf(job: TranscodeJob, stored: TranscodeJobStatus, mutate: (s: TranscodeJobStatus) => void): TranscodeJobStatus {
    const preview = structuredClone(stored);
    mutate(preview);
    markCompleted(job, stored, preview);
    return preview;
  }

  private async syncSwf(job: TranscodeJob, terminal: boolean, log: Logger): Promise<SwfFacts> {
    if (!this.o.recorder) return { tasks: new Map() };
    try {
      return await this.o.recorder.sync(job);
    } catch (err) {
      // Past its deadline a job ends even when SWF keeps failing: its client must hear from us.
      if (terminal || !isPastDeadline(job, this.now(), this.sweep)) throw err;
      log.warn({ err: errorInfo(err) }, 'SWF sync failed past the job deadline; ending the job without it');
      return { tasks: new Map() };
    }
  }

  /** Finalizes outputs whose tasks all completed (I/O outside the status mutation). */
  private async finalizeReady(job: TranscodeJob, stored: TranscodeJobStatus, log: Logger): Promise<Map<number, Finalized>> {
    const finalized = new Map<number, Finalized>();
    const { ready } = updateOutputs(job, structuredClone(stored), new Date(this.now()).toISOString());
    const frame = stored.probe ? displayFrame(stored.probe) : undefined;
    for (const index of ready) {
      const spec = job.spec.job.outputs[index];
      if (!spec) continue;
      try {
        const made = effectiveOutput(spec, frame ? resolutionOf(frame.width, frame.height) : undefined);
        finalized.set(index, await finalizeOutput(this.o.s3, made, index, tasksOf(stored, index)));
      } catch (err) {
        if (!(err instanceof FinalizeError)) throw err;
        log.warn({ output: index, err: err.message }, 'output result check failed');
        finalized.set(index, { status: 'Failed', bucket: spec.output_bucket, reason: 'S3_OPS_FAILED', details: err.message });
      }
    }
    return finalized;
  }
}

export function createJobController(o: JobControllerOptions): JobController {
  return new JobController(o);
}
