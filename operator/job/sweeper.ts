// The last-resort sweeper: whatever fails (no runner for a task type, runners dying on one input over
// and over, an api-server or AWS outage that never ends), every accepted job reaches a terminal phase
// within a bounded time and its client gets one end message with a reason it can read.
//   - job deadline (CT_JOB_DEADLINE_SECONDS, default 24 h from creation): every unfinished task fails,
//     every unfinished output fails with ACTIVITY_TIMEOUT naming what each task was doing;
//   - task limit (CT_TASK_MAX_TIMEOUTS, default 10): a task the stall watchdog took back that many
//     times (its runners keep dying or going silent on it) fails instead of looping forever.
// Pure functions on a status copy, applied inside the job controller's one status write. The limits
// are read with the other job settings by operator/config.ts.
import { TaskState, type TaskStatus, type TranscodeJob, type TranscodeJobStatus } from '../../lib/schema/transcode-job.js';
import { isTerminal, parentsOf } from '../../lib/peertube/task-state.js';
import type { JobSettings } from '../config.js';

export const DEADLINE_REASON = 'ACTIVITY_TIMEOUT';

export type SweepLimits = JobSettings['sweep'];

/** When the job's deadline passes (ms since the epoch); NaN without a creation time. */
export function deadlineOf(job: TranscodeJob, limits: SweepLimits): number {
  return Date.parse(String(job.metadata.creationTimestamp ?? '')) + limits.jobDeadlineMs;
}

export function isPastDeadline(job: TranscodeJob, nowMs: number, limits: SweepLimits): boolean {
  return nowMs >= deadlineOf(job, limits);
}

function human(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

function whatItWasDoing(t: TaskStatus): string {
  switch (t.state) {
    case TaskState.PENDING:
      return (t.timeouts ?? 0) + t.failures > 0
        ? `waiting for a runner again after ${t.failures} failure(s) and ${t.timeouts ?? 0} timeout(s)`
        : `never taken by a runner (is any runner serving ${t.type}?)`;
    case TaskState.PROCESSING:
      return `still running on ${t.runner?.name ?? 'a runner'} at ${t.progress ?? 0}%`;
    case TaskState.COMPLETING:
      return 'its result was still being stored';
    case TaskState.WAITING_FOR_PARENT_JOB:
      return 'waiting for the task it depends on';
    default:
      return 'unfinished';
  }
}

function failTask(status: TranscodeJobStatus, t: TaskStatus, error: string, now: string): void {
  t.state = TaskState.ERRORED;
  t.error = error;
  delete t.jobTokenHash;
  delete t.progress;
  t.finishedAt = now;
  t.updatedAt = now;
  for (const child of status.tasks ?? []) {
    if (parentsOf(child).includes(t.uuid) && !isTerminal(child.state))
      failTask(status, child, `the task it depends on failed: ${error}`, now);
  }
}

function failOutput(status: TranscodeJobStatus, index: number, details: string): void {
  const out = status.outputs?.find((o) => o.index === index);
  if (!out || out.status === 'Succeeded' || out.status === 'Failed' || out.status === 'Canceled') return;
  out.status = 'Failed';
  out.reason = DEADLINE_REASON;
  out.details = details;
}

/**
 * Applies both limits to a non-terminal job's status. Returns the uuids of the tasks it failed. The
 * job outcome itself follows from the outputs (finishIfDone), as for any other failure.
 */
export function applyDeadlines(job: TranscodeJob, status: TranscodeJobStatus, nowMs: number, limits: SweepLimits): string[] {
  const now = new Date(nowMs).toISOString();
  const failed: string[] = [];
  for (const t of status.tasks ?? []) {
    if (isTerminal(t.state) || (t.timeouts ?? 0) < limits.maxTimeouts) continue;
    const error = `given up after ${t.timeouts} stall timeouts (CT_TASK_MAX_TIMEOUTS=${limits.maxTimeouts}): its runners kept going silent`;
    failTask(status, t, error, now);
    failOutput(status, t.outputIndex, `${t.name}: ${error}`);
    failed.push(t.uuid);
  }
  if (isPastDeadline(job, nowMs, limits)) {
    const limit = `the job did not finish within its deadline of ${human(limits.jobDeadlineMs)} (CT_JOB_DEADLINE_SECONDS)`;
    const byOutput = new Map<number, string[]>();
    for (const t of status.tasks ?? []) {
      if (isTerminal(t.state)) continue;
      const doing = whatItWasDoing(t);
      failTask(status, t, `${limit}; the task was ${doing}`, now);
      byOutput.set(t.outputIndex, [...(byOutput.get(t.outputIndex) ?? []), `${t.name} ${doing}`]);
      failed.push(t.uuid);
    }
    for (const out of status.outputs ?? []) {
      const tasks = byOutput.get(out.index);
      failOutput(status, out.index, tasks ? `${limit}: ${tasks.join('; ')}` : limit);
    }
  }
  return failed;
}

/** A Pending (never admitted) job past its deadline: the whole status of a job that fails without running. */
export function expirePending(job: TranscodeJob, status: TranscodeJobStatus, nowMs: number, limits: SweepLimits): void {
  const why = status.message ? ` (still queued: ${status.message})` : '';
  const message = `the job did not start within its deadline of ${human(limits.jobDeadlineMs)} (CT_JOB_DEADLINE_SECONDS)${why}`;
  status.phase = 'Failed';
  status.reason = DEADLINE_REASON;
  status.message = message;
  status.outputs = job.spec.job.outputs.map((o, index) => ({
    index,
    type: o.output_type,
    status: 'Failed',
    bucket: o.output_bucket,
    reason: DEADLINE_REASON,
    details: message,
  }));
  status.tasks = [];
  status.progress = 0;
  status.completedAt = new Date(nowMs).toISOString();
}
