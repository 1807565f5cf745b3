// Pure status transitions the operator owns (see README.md in this folder): cancellation, the stall watchdog, output
// and job outcome, progress. Runner transitions (accept, update, error, success) are the api-server's.
// Everything works on a status copy; the controller writes the result in one optimistic update.
import { isTerminalPhase } from '../../lib/jobs/phases.js';
import {
  TaskState,
  type OutputStatus,
  type TaskStatus,
  type TranscodeJob,
  type TranscodeJobStatus,
} from '../../lib/schema/transcode-job.js';
import {
  abortTask,
  cancelTask,
  isTerminal,
  stalledTasks,
  lostCompletions,
  requeueLostCompletion,
  COMPLETING_STALL_MS,
} from '../../lib/peertube/task-state.js';

export function isJobTerminal(status: TranscodeJobStatus | undefined): boolean {
  return isTerminalPhase(status?.phase);
}

const FAILED_STATES = new Set<number>([TaskState.ERRORED, TaskState.PARENT_ERRORED]);
const CANCELED_STATES = new Set<number>([TaskState.CANCELLED, TaskState.PARENT_CANCELLED]);

/** spec.cancel / spec.cancelTasks → cancelTask. Returns the uuids cancelled now. */
export function applyCancellation(job: TranscodeJob, status: TranscodeJobStatus, now: string): string[] {
  const done: string[] = [];
  const wanted = job.spec.cancel ? (status.tasks ?? []).map((t) => t.uuid) : (job.spec.cancelTasks ?? []);
  for (const uuid of wanted) {
    const r = cancelTask(status, uuid, now);
    if (r.ok) done.push(uuid);
  }
  return done;
}

/** Stall watchdog: PROCESSING tasks silent for stallMs go back to pending, timeouts + 1. */
export function applyWatchdog(status: TranscodeJobStatus, nowMs: number, stallMs: number): string[] {
  const now = new Date(nowMs).toISOString();
  const out: string[] = [];
  for (const t of stalledTasks(status, nowMs, stallMs)) {
    const runner = t.runner?.name;
    if (abortTask(status, t.uuid, now).ok) {
      t.timeouts = (t.timeouts ?? 0) + 1;
      t.error = `no update from runner ${runner ?? '?'} for ${Math.round(stallMs / 1000)} s: task given back to the queue`;
      out.push(t.uuid);
    }
  }
  // A completion whose api-server died while storing the result: run the task again.
  for (const t of lostCompletions(status, nowMs, Math.max(COMPLETING_STALL_MS, stallMs))) {
    if (requeueLostCompletion(status, t.uuid, now).ok) {
      t.timeouts = (t.timeouts ?? 0) + 1;
      t.error = 'the result upload never finished (api-server gone?): task given back to the queue';
      out.push(t.uuid);
    }
  }
  return out;
}

/** Earliest time (ms) the watchdog will have something to do, for the requeue delay. */
export function nextStallCheck(status: TranscodeJobStatus, stallMs: number): number | undefined {
  let min: number | undefined;
  for (const t of status.tasks ?? []) {
    if (t.state !== TaskState.PROCESSING && t.state !== TaskState.COMPLETING) continue;
    const at = Date.parse(t.updatedAt) + (t.state === TaskState.COMPLETING ? Math.max(COMPLETING_STALL_MS, stallMs) : stallMs) + 50;
    if (min === undefined || at < min) min = at;
  }
  return min;
}

export function tasksOf(status: TranscodeJobStatus, index: number): TaskStatus[] {
  return (status.tasks ?? []).filter((t) => t.outputIndex === index);
}

/**
 * Output states from their tasks. An output whose task errored fails with TRANSCODE_FAIL and its other
 * tasks are cancelled (an HLS ladder with a missing rendition is useless). Outputs whose tasks all
 * completed are returned as `ready` (the controller finalizes them with I/O, then marks them Succeeded).
 */
export function updateOutputs(job: TranscodeJob, status: TranscodeJobStatus, now: string): { ready: number[] } {
  const ready: number[] = [];
  for (const out of status.outputs ?? []) {
    if (out.status === 'Succeeded' || out.status === 'Failed' || out.status === 'Canceled') continue;
    const tasks = tasksOf(status, out.index);
    if (tasks.length === 0) continue;
    const failed = tasks.find((t) => FAILED_STATES.has(t.state));
    if (failed) {
      for (const t of tasks) if (!isTerminal(t.state)) cancelTask(status, t.uuid, now);
      setOutput(out, 'Failed', 'TRANSCODE_FAIL', `${failed.name}: ${failed.error ?? 'failed'} (after ${failed.failures} failure(s))`);
      continue;
    }
    if (tasks.some((t) => CANCELED_STATES.has(t.state))) {
      for (const t of tasks) if (!isTerminal(t.state)) cancelTask(status, t.uuid, now);
      setOutput(out, 'Canceled', 'JOB_CANCELED', job.spec.cancel ? 'the job was canceled' : 'a task of this output was canceled');
      continue;
    }
    if (tasks.every((t) => t.state === TaskState.COMPLETED)) {
      ready.push(out.index);
      continue;
    }
    const running = tasks.some((t) => t.state !== TaskState.PENDING && t.state !== TaskState.WAITING_FOR_PARENT_JOB);
    if (running && out.status === 'Pending') out.status = 'Running';
  }
  return { ready };
}

function setOutput(out: OutputStatus, status: OutputStatus['status'], reason: string, details: string): void {
  out.status = status;
  out.reason = reason;
  out.details = details;
}

/** Average task progress (finished tasks count as 100). */
export function jobProgress(status: TranscodeJobStatus): number {
  const tasks = status.tasks ?? [];
  if (tasks.length === 0) return isJobTerminal(status) ? 100 : 0;
  const sum = tasks.reduce((s, t) => s + (isTerminal(t.state) ? 100 : (t.progress ?? 0)), 0);
  return Math.round(sum / tasks.length);
}

/** The job outcome once every output is final: Canceled on cancel, Succeeded if any output succeeded, else Failed. */
export function finishIfDone(job: TranscodeJob, status: TranscodeJobStatus, now: string): boolean {
  const outputs = status.outputs ?? [];
  if (isJobTerminal(status)) return false;
  if (!outputs.every((o) => o.status === 'Succeeded' || o.status === 'Failed' || o.status === 'Canceled')) return false;
  if ((status.tasks ?? []).some((t) => !isTerminal(t.state))) return false;
  const failed = outputs.filter((o) => o.status === 'Failed');
  if (job.spec.cancel) {
    status.phase = 'Canceled';
    status.reason = 'JOB_CANCELED';
    status.message = 'the job was canceled';
  } else if (outputs.some((o) => o.status === 'Succeeded')) {
    status.phase = 'Succeeded';
    delete status.reason;
    status.message = failed.length
      ? `${outputs.length - failed.length} of ${outputs.length} outputs done; failed: ${failed.map((o) => `output ${o.index} (${o.reason})`).join(', ')}`
      : `all ${outputs.length} outputs done`;
  } else {
    const first = failed[0];
    status.phase = 'Failed';
    status.reason = first?.reason ?? 'TRANSCODE_FAIL';
    status.message = first ? `no output could be made; output ${first.index}: ${first.details ?? first.reason}` : 'no output could be made';
  }
  status.completedAt = now;
  status.progress = status.phase === 'Succeeded' ? 100 : jobProgress(status);
  return true;
}
