// Decisions for a started job, without I/O: merging SWF facts, the status mutation of one
// reconcile (cancellation, watchdog, runner availability, deadlines, output outcomes, job
// outcome), whether a write can wait (progress-only coalescing), and when to look again.
import type { TranscodeJob, TranscodeJobStatus, OutputStatus } from '../../lib/schema/transcode-job.js';
import { TaskState } from '../../lib/schema/transcode-job.js';
import { releaseWaiting } from '../../lib/peertube/task-state.js';
import { applySwfFacts, type SwfFacts } from '../swf/recorder.js';
import { stableJson } from '../../lib/kube/status.js';
import type { RunnerAvailability } from './availability.js';
import type { Finalized } from './outputs/types.js';
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

/** Did these facts schedule an activity whose task a runner has already taken (so it can start now)? */
export function scheduledTaken(stored: TranscodeJobStatus | undefined, facts: SwfFacts): boolean {
  return (stored?.tasks ?? []).some(
    (t) =>
      !t.swf?.scheduled &&
      !!facts.tasks.get(t.uuid)?.scheduled &&
      t.state !== TaskState.PENDING &&
      t.state !== TaskState.WAITING_FOR_PARENT_JOB,
  );
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
    noteFirstAccept(s);
    finishIfDone(i.job, s, nowIso);
  };
}

/** timing.firstAccepted: the earliest accept the operator has seen (set once). */
export function noteFirstAccept(s: TranscodeJobStatus): void {
  if (s.timing?.firstAccepted) return;
  const first = (s.tasks ?? [])
    .map((t) => t.startedAt)
    .filter((at): at is string => !!at)
    .sort()[0];
  if (first) s.timing = { ...s.timing, firstAccepted: first };
}

/**
 * The part of a status that must reach the CR at once. The rest can wait for the next write (it is
 * carried by it, kept in memory until then) because it is either derived again on every reconcile
 * (job progress, an output going Running, timing.firstAccepted) or SWF reality a restart finds again
 * (an activity closed: closing it again is a no-op). A new task token is durable (SWF never hands it
 * out twice), and so is `scheduled` (what runners and operators wait for).
 */
function durablePart(s: TranscodeJobStatus): unknown {
  const { progress: _p, timing, tasks, outputs, ...rest } = s;
  const { firstAccepted: _f, ...keptTiming } = timing ?? {};
  return {
    ...rest,
    timing: keptTiming,
    tasks: (tasks ?? []).map(({ swf, ...t }) => {
      if (!swf) return t;
      const { closed: _c, taskToken: _t, ...id } = swf;
      return { ...t, swf: id };
    }),
    outputs: (outputs ?? []).map((o) => (o.status === 'Running' ? { ...o, status: 'Pending' } : o)),
  };
}

/** Does `next` hold a change that must be written now (see durablePart), or can it wait? */
export function mustWriteNow(stored: TranscodeJobStatus, next: TranscodeJobStatus): boolean {
  if (stableJson(durablePart(stored)) !== stableJson(durablePart(next))) return true;
  const tokens = new Set((stored.tasks ?? []).map((t) => t.swf?.taskToken));
  return (next.tasks ?? []).some((t) => t.swf?.taskToken !== undefined && !t.swf.closed && !tokens.has(t.swf.taskToken));
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
