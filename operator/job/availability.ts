// The job controller's view of the runners (docs/official-runners.md): the encoding policy's choice
// of job type for VIDEO outputs, and NoRunnerForTaskType (a task condition, a job condition, Events)
// for pending tasks no live runner serves. The decisions are the pure functions of scheduling.ts.
import { randomUUID } from 'node:crypto';
import type { Plan } from './plan.js';
import { DEFAULT_SEGMENT_POLICY, splitVideoTask, type SegmentPolicy } from './outputs/segments.js';
import type { CacheReader } from '../../lib/kube/cache.js';
import { objectKey, type ObjectKey } from '../../lib/kube/object.js';
import type { EventRecorder } from '../runtime/events.js';
import { setCondition } from '../runtime/conditions.js';
import { UnschedulableReason } from '../../lib/schema/job-conditions.js';
import type { EncodingPolicy, TranscodeClient } from '../../lib/schema/transcode-client.js';
import type { TranscodeRunner } from '../../lib/schema/transcode-runner.js';
import { TaskState, type TranscodeJob, type TranscodeJobStatus } from '../../lib/schema/transcode-job.js';
import { isJobTerminal } from './lifecycle.js';
import {
  NO_RUNNER_CONDITION_REASON,
  NO_RUNNER_REASON,
  UNSCHEDULABLE_CONDITION,
  applyEncodingPolicy,
  applyRunnerAvailability,
  canSegment,
  nextAvailabilityCheck,
  servedTypes,
  unschedulableSummary,
  wantsStandardVideo,
  type SchedulingConfig,
} from './scheduling.js';

export class RunnerAvailability {
  constructor(
    private readonly runners: CacheReader<TranscodeRunner>,
    private readonly clients: CacheReader<TranscodeClient>,
    private readonly cfg: SchedulingConfig,
    private readonly now: () => number,
    private readonly events?: EventRecorder,
  ) {}

  served(): Set<string> {
    return servedTypes(this.runners.list(), this.now(), this.cfg.runnerLiveMs);
  }

  private client(job: TranscodeJob): TranscodeClient | undefined {
    return this.clients.get(objectKey(job.metadata.namespace, job.spec.clientRef.name));
  }

  policyOf(job: TranscodeJob): EncodingPolicy {
    return this.client(job)?.spec.encodingPolicy ?? this.cfg.encodingPolicy;
  }

  timeoutMsOf(job: TranscodeJob): number {
    const s = this.client(job)?.spec.noRunnerTimeoutSeconds;
    return s !== undefined ? s * 1000 : this.cfg.noRunnerTimeoutMs;
  }

  /**
   * A runner change (registration, job types, lastContact) re-checks only the jobs it changes something
   * for: a task marked unschedulable whose type is now served, or a pending VIDEO task the auto policy
   * now hands to a standard runner (runners refresh lastContact every 30 s: no fan-out to every job).
   */
  watch(jobs: CacheReader<TranscodeJob>): { kind: 'TranscodeRunner'; map: (obj: unknown) => ObjectKey[] } {
    return {
      kind: 'TranscodeRunner',
      map: () => {
        const served = this.served();
        return jobs
          .list()
          .filter((j) => {
            if (isJobTerminal(j.status)) return false;
            const pending = (j.status?.tasks ?? []).filter((t) => t.state === TaskState.PENDING);
            if (pending.some((t) => t.unschedulable && served.has(t.type))) return true;
            return (
              pending.some((t) => t.type === 'ct-video-transcoding') && this.policyOf(j) === 'auto' && wantsStandardVideo('auto', served)
            );
          })
          .map((j) => objectKey(j.metadata.namespace, j.metadata.name!));
      },
    };
  }

  /**
   * At plan time: VIDEO tasks become standard ones when the policy says so, or, for a long source
   * when our runners serve the segment types, N segment tasks and a concat task (before any runner
   * sees them; docs/segment-encoding.md).
   */
  choosePlannedTypes(job: TranscodeJob, plan: Plan, now: string, newUuid: () => string = randomUUID): void {
    const served = this.served();
    applyEncodingPolicy(plan, wantsStandardVideo(this.policyOf(job), served), now);
    const policy = this.segmentPolicyOf(job);
    if (!policy || !canSegment(served)) return;
    const ctx = { videoUuid: job.metadata.uid ?? job.metadata.name ?? 'unknown', policy, newUuid, now };
    plan.tasks = plan.tasks.flatMap((t) => splitVideoTask(t, ctx) ?? [t]);
  }

  /** The segment policy of the job's client, or undefined when it opted out. */
  segmentPolicyOf(job: TranscodeJob): SegmentPolicy | undefined {
    const own = this.client(job)?.spec.segments;
    if (own?.enabled === false) return undefined;
    const base = this.cfg.segments ?? DEFAULT_SEGMENT_POLICY;
    return own?.thresholdSeconds !== undefined ? { ...base, thresholdSec: own.thresholdSeconds } : base;
  }

  /** In the status mutation of a running job. */
  apply(job: TranscodeJob, s: TranscodeJobStatus, nowMs: number): void {
    const served = this.served();
    applyEncodingPolicy(s, wantsStandardVideo(this.policyOf(job), served), new Date(nowMs).toISOString());
    applyRunnerAvailability(s, { served, nowMs, graceMs: this.cfg.graceMs, timeoutMs: this.timeoutMsOf(job) });
    const summary = unschedulableSummary(s);
    const had = s.conditions?.find((c) => c.type === UNSCHEDULABLE_CONDITION);
    if (summary) {
      s.conditions = setCondition(
        s.conditions,
        { type: UNSCHEDULABLE_CONDITION, status: 'True', reason: NO_RUNNER_CONDITION_REASON, message: summary },
        job.metadata.generation,
      );
    } else if (had && had.status === 'True') {
      const expired = (s.tasks ?? []).some((t) => t.state === TaskState.ERRORED && t.error?.includes(NO_RUNNER_REASON));
      s.conditions = setCondition(
        s.conditions,
        {
          type: UNSCHEDULABLE_CONDITION,
          status: 'False',
          reason: expired ? UnschedulableReason.NoRunnerDeadlinePassed : UnschedulableReason.RunnersAvailable,
          message: expired ? `tasks no runner served failed with ${NO_RUNNER_REASON}` : 'a live runner serves every pending task',
        },
        job.metadata.generation,
      );
    }
  }

  /** Events for what changed between the stored status and the one about to be written. */
  report(job: TranscodeJob, before: TranscodeJobStatus, after: TranscodeJobStatus): void {
    if (!this.events) return;
    const old = new Map((before.tasks ?? []).map((t) => [t.uuid, t]));
    for (const t of after.tasks ?? []) {
      const prev = old.get(t.uuid);
      if (t.unschedulable && t.unschedulable.since !== prev?.unschedulable?.since) {
        void this.events.record(job, 'Warning', NO_RUNNER_CONDITION_REASON, t.unschedulable.message);
      } else if (t.state === TaskState.ERRORED && prev?.state === TaskState.PENDING && prev.unschedulable) {
        void this.events.record(job, 'Warning', NO_RUNNER_CONDITION_REASON, `${t.name}: ${t.error ?? NO_RUNNER_REASON}`);
      } else if (prev?.unschedulable && !t.unschedulable && t.state !== TaskState.ERRORED) {
        void this.events.record(job, 'Normal', 'RunnerAvailable', `a runner serving ${t.type} is live: ${t.name} can run`);
      }
      if (prev && prev.type !== t.type) {
        void this.events.record(
          job,
          'Normal',
          'StandardEncoding',
          `${t.name}: no runner serves ${prev.type}; encoded as ${t.type} by a standard PeerTube runner (preset size/fps, bitrates not guaranteed)`,
        );
      }
    }
  }

  nextCheck(status: TranscodeJobStatus): number | undefined {
    if (isJobTerminal(status)) return undefined;
    return nextAvailabilityCheck(status, this.served(), this.cfg.graceMs);
  }
}
