// Decisions for a started job, without I/O: merging SWF facts, the status mutation of one
// reconcile (cancellation, watchdog, runner availability, deadlines, output outcomes, job
// outcome), whether a write can wait (progress-only coalescing), and when to look again.
import type { TranscodeJob, TranscodeJobStatus, OutputStatus } from '../../lib/schema/transcode-job.js';
import { TaskState } from '../../lib/schema/transcode-job.js';
import { releaseWaiting } from '../../lib/peertube/task-state.js';
import { applySwfFacts, type SwfFacts } from '../swf/recorder.js';
import { stableJson } from '../runtime/status.js';
import type { RunnerAvailability } from './availability.js';
import type { Finalized } from './finalize.js';
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
import { applyDeadlines, deadlineOf, type SweepLimits } from './sweeper.js';

/** Unwritten facts from an earlier reconcile, overlaid by what SWF said now. */
export function mergeFacts(pending: SwfFacts | undefined, fresh: SwfFacts): SwfFacts {
  return {
    ...(pending?.workflow || fresh.workflow
      ? { workflow: { ...pending?.workflow, ...fresh.workflow } as NonNullable<SwfFacts['workflow']> }
      : {}),
    tasks: new Map([...(pending?.tasks ?? []), ...fresh.tasks]),
    ...(fresh.retryMs !== undefined ? { retryMs: fresh.retryMs } : {}),
  };
}

export interface ActiveInputs {
  job: TranscodeJob;
  facts: SwfFacts;
  finalized: ReadonlyMap<number, Finalized>;
  nowMs: number;
  stallMs: number;
  sweep: SweepLimits;
  availability: RunnerAvailability | undefined;
}

export function activeMutation(i: ActiveInputs): (s: TranscodeJobStatus) => void {
  const nowIso = new Date(i.nowMs).toISOString();
  return (s) => {
    applySwfFacts(s, i.facts);
    if (isJobTerminal(s)) return;
    applyCancellation(i.job, s, nowIso);
    releaseWaiting(s, nowIso); // a join whose parents completed in concurrent writes (segment concat)
    applyWatchdog(s, i.nowMs, i.stallMs);
    i.availability?.apply(i.job, s, i.nowMs);
    applyDeadlines(i.job, s, i.nowMs, i.sweep);
    updateOutputs(i.job, s, nowIso);
    for (const out of s.outputs ?? []) {
      const f = i.finalized.get(out.index);
      if (!f || out.status === 'Succeeded' || out.status === 'Failed' || out.status === 'Canceled') continue;
      if (!tasksOf(s, out.index).every((t) => t.state === TaskState.COMPLETED)) continue;
      Object.assign(out, f satisfies Partial<OutputStatus>);
    }
    s.progress = jobProgress(s);
    finishIfDone(i.job, s, nowIso);
  };
}

/** A change of `progress` alone, which may wait for the next coalesced write. */
export function isProgressOnly(stored: TranscodeJobStatus, next: TranscodeJobStatus): boolean {
  return stableJson({ ...next, progress: 0 }) === stableJson({ ...stored, progress: 0 }) && next.progress !== stored.progress;
}

export interface RequeueInputs {
  job: TranscodeJob;
  next: TranscodeJobStatus;
  nowMs: number;
  stallMs: number;
  sweep: SweepLimits;
  /** Earliest requeue already asked for (SWF retry, coalesced progress). */
  base: number | undefined;
  availabilityCheck: number | undefined;
  /** SWF on: the poll backoff while a finished job's execution is not closed yet. */
  swfPollBackoffMs: number | undefined;
}

/** When to reconcile the job again: the earliest of every timer that applies to it. */
export function nextRequeue(i: RequeueInputs): number | undefined {
  let requeue = i.base;
  const at = (ms: number): void => {
    requeue = Math.min(requeue ?? Infinity, ms);
  };
  if (i.availabilityCheck !== undefined) at(Math.max(100, i.availabilityCheck - i.nowMs));
  const stall = nextStallCheck(i.next, i.stallMs);
  if (stall !== undefined) at(Math.max(100, stall - i.nowMs));
  const deadline = deadlineOf(i.job, i.sweep);
  const terminal = isJobTerminal(i.next);
  if (!terminal && Number.isFinite(deadline)) at(Math.max(100, deadline - i.nowMs + 50));
  // Job over but the SWF execution not closed yet: come back soon.
  if (terminal && i.swfPollBackoffMs !== undefined && !i.next.workflow?.closed) at(i.swfPollBackoffMs);
  return requeue !== undefined && Number.isFinite(requeue) ? Math.round(requeue) : undefined;
}
