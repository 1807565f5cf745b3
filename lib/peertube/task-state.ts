// The runner-task state machine, PeerTube's rules (docs/peertube-runner-protocol.md §5):
// pending → processing → completing → completed | errored; errors retry up to MAX_FAILURES;
// abort and the stall watchdog put a task back to pending without counting a failure; cancel
// cancels the task and, recursively, its children; a completion that cannot finish is taken back
// (processing again) or, when it can never be recorded, errors. Pure functions on a job status
// copy: the caller writes the result with lib/kube/status.ts, so every transition is one atomic
// CR write. Server (api-server/runners), operator (watchdog, scheduling) and tests share these.
import { TaskState, type TaskStateId, type TaskStatus, type TranscodeJobStatus } from '../schema/transcode-job.js';

export const MAX_FAILURES = 5;

export const STATE_LABELS: Record<TaskStateId, string> = {
  1: 'Pending',
  2: 'Processing',
  3: 'Completed',
  4: 'Errored',
  5: 'Waiting for parent job to finish',
  6: 'Cancelled',
  7: 'Parent job failed',
  8: 'Parent job cancelled',
  9: 'Completing',
};

const TERMINAL = new Set<number>([
  TaskState.COMPLETED,
  TaskState.ERRORED,
  TaskState.CANCELLED,
  TaskState.PARENT_ERRORED,
  TaskState.PARENT_CANCELLED,
]);

export function isTerminal(state: number): boolean {
  return TERMINAL.has(state);
}

export function stateLabel(state: number): { id: number; label: string } {
  return { id: state, label: STATE_LABELS[state as TaskStateId] ?? 'Unknown' };
}

export type TransitionError = 'unknown_task' | 'not_pending' | 'not_processing' | 'not_cancellable';

export type TransitionResult = { ok: true; task: TaskStatus } | { ok: false; error: TransitionError; task?: TaskStatus };

const NON_TERMINAL = Object.values(TaskState).filter((st) => !TERMINAL.has(st));

/** The task `uuid` if it is in one of `states`; otherwise the failed result to return. */
function taskIn(
  status: TranscodeJobStatus,
  uuid: string,
  states: readonly number[],
  error: TransitionError,
): { task: TaskStatus; fail?: undefined } | { task?: undefined; fail: TransitionResult } {
  const task = status.tasks?.find((t) => t.uuid === uuid);
  if (!task) return { fail: { ok: false, error: 'unknown_task' } };
  if (!states.includes(task.state)) return { fail: { ok: false, error, task } };
  return { task };
}

function resetToPending(task: TaskStatus, now: string): void {
  task.state = TaskState.PENDING;
  delete task.jobTokenHash;
  delete task.runner;
  delete task.progress;
  delete task.startedAt;
  task.updatedAt = now;
}

/** A task reaches a terminal state: its job token is void from now on. */
function endTask(task: TaskStatus, state: TaskStateId, now: string, error?: string): void {
  task.state = state;
  if (error !== undefined) task.error = error;
  delete task.jobTokenHash;
  task.finishedAt = now;
  task.updatedAt = now;
}

/** Runner takes a pending task. */
export function acceptTask(
  status: TranscodeJobStatus,
  uuid: string,
  runner: { id?: string; name: string },
  jobTokenHash: string,
  now: string,
): TransitionResult {
  const { task, fail } = taskIn(status, uuid, [TaskState.PENDING], 'not_pending');
  if (fail) return fail;
  task.state = TaskState.PROCESSING;
  task.runner = runner;
  task.jobTokenHash = jobTokenHash;
  task.progress = 0;
  task.startedAt = now;
  task.updatedAt = now;
  return { ok: true, task };
}

/** Progress / heartbeat from the runner. */
export function updateTaskProgress(status: TranscodeJobStatus, uuid: string, progress: number | undefined, now: string): TransitionResult {
  const { task, fail } = taskIn(status, uuid, [TaskState.PROCESSING], 'not_processing');
  if (fail) return fail;
  if (progress !== undefined) task.progress = Math.max(0, Math.min(100, Math.round(progress)));
  task.updatedAt = now;
  return { ok: true, task };
}

/** Runner gives the task back (or the watchdog does for it): pending again, no failure counted. */
export function abortTask(status: TranscodeJobStatus, uuid: string, now: string): TransitionResult {
  const { task, fail } = taskIn(status, uuid, [TaskState.PROCESSING], 'not_processing');
  if (fail) return fail;
  resetToPending(task, now);
  return { ok: true, task };
}

/** Runner reports a failure: retried until MAX_FAILURES, then errored with its children. */
export function errorTask(
  status: TranscodeJobStatus,
  uuid: string,
  message: string,
  now: string,
  maxFailures = MAX_FAILURES,
): TransitionResult {
  const { task, fail } = taskIn(status, uuid, [TaskState.PROCESSING], 'not_processing');
  if (fail) return fail;
  task.failures += 1;
  task.error = message;
  if (task.failures < maxFailures) {
    resetToPending(task, now);
  } else {
    endTask(task, TaskState.ERRORED, now);
    delete task.progress;
    cascade(status, uuid, TaskState.PARENT_ERRORED, 'Parent error', now);
  }
  return { ok: true, task };
}

/** A plain state change `from` → `to` (nothing else about the task changes). */
function move(status: TranscodeJobStatus, uuid: string, from: TaskStateId, to: TaskStateId, now: string): TransitionResult {
  const { task, fail } = taskIn(status, uuid, [from], 'not_processing');
  if (fail) return fail;
  task.state = to;
  task.updatedAt = now;
  return { ok: true, task };
}

/** Success received: files are being stored (CT's ACTIVITY_FINISHING). */
export function startCompleting(status: TranscodeJobStatus, uuid: string, now: string): TransitionResult {
  return move(status, uuid, TaskState.PROCESSING, TaskState.COMPLETING, now);
}

/** COMPLETING → PROCESSING: the upload did not finish, the runner still owns the task. */
export function revertCompleting(status: TranscodeJobStatus, uuid: string, now: string): TransitionResult {
  return move(status, uuid, TaskState.COMPLETING, TaskState.PROCESSING, now);
}

/** COMPLETING → ERRORED for good (with its children): the result can never be recorded. */
export function failCompleting(status: TranscodeJobStatus, uuid: string, message: string, now: string): TransitionResult {
  // Back to PROCESSING (errorTask's precondition), then an error with no retries left errors at once.
  const back = revertCompleting(status, uuid, now);
  return back.ok ? errorTask(status, uuid, message, now, 0) : back;
}

/** Result stored: completed, and children waiting for it become pending. */
export function completeTask(
  status: TranscodeJobStatus,
  uuid: string,
  result: NonNullable<TaskStatus['result']>,
  now: string,
): TransitionResult {
  const { task, fail } = taskIn(status, uuid, [TaskState.COMPLETING, TaskState.PROCESSING], 'not_processing');
  if (fail) return fail;
  task.result = result;
  task.progress = 100;
  endTask(task, TaskState.COMPLETED, now);
  releaseWaiting(status, now);
  return { ok: true, task };
}

/** Every task `t` waits for: its PeerTube parent and, for a join (segment concat), all of dependsOnAll. */
export function parentsOf(t: TaskStatus): string[] {
  return [...(t.dependsOn ? [t.dependsOn] : []), ...(t.dependsOnAll ?? [])];
}

/**
 * Waiting tasks whose parents all completed become pending. Level-based (the operator applies it
 * too): two parents completing in concurrent writes both see the other unfinished, the next pass
 * still releases their child. Returns the tasks released.
 */
export function releaseWaiting(status: TranscodeJobStatus, now: string): TaskStatus[] {
  const tasks = status.tasks ?? [];
  const done = new Set(tasks.filter((t) => t.state === TaskState.COMPLETED).map((t) => t.uuid));
  const released: TaskStatus[] = [];
  for (const child of tasks) {
    if (child.state !== TaskState.WAITING_FOR_PARENT_JOB) continue;
    const parents = parentsOf(child);
    if (parents.length === 0 || !parents.every((p) => done.has(p))) continue;
    child.state = TaskState.PENDING;
    child.updatedAt = now;
    released.push(child);
  }
  return released;
}

/** Cancel a task that has not finished; its children follow as parent-cancelled. */
export function cancelTask(status: TranscodeJobStatus, uuid: string, now: string): TransitionResult {
  const { task, fail } = taskIn(status, uuid, NON_TERMINAL, 'not_cancellable');
  if (fail) return fail;
  endTask(task, TaskState.CANCELLED, now);
  cascade(status, uuid, TaskState.PARENT_CANCELLED, 'Parent cancelled', now);
  return { ok: true, task };
}

function cascade(status: TranscodeJobStatus, parent: string, state: TaskStateId, error: string, now: string): void {
  for (const child of status.tasks ?? []) {
    if (!parentsOf(child).includes(parent) || isTerminal(child.state)) continue;
    endTask(child, state, now, error);
    cascade(status, child.uuid, state, error, now);
  }
}

/**
 * A task stuck in COMPLETING: the api-server storing its result died mid-way (PeerTube treats such a
 * completion as lost after a while too). The result is not known to be stored, so it runs again.
 */
export function requeueLostCompletion(status: TranscodeJobStatus, uuid: string, now: string): TransitionResult {
  const { task, fail } = taskIn(status, uuid, [TaskState.COMPLETING], 'not_processing');
  if (fail) return fail;
  resetToPending(task, now);
  return { ok: true, task };
}

/** Completions older than this are considered lost (an upload of many GB still fits). */
export const COMPLETING_STALL_MS = 30 * 60_000;

/** COMPLETING tasks untouched for `stallMs`. */
export function lostCompletions(status: TranscodeJobStatus, nowMs: number, stallMs = COMPLETING_STALL_MS): TaskStatus[] {
  return (status.tasks ?? []).filter((t) => t.state === TaskState.COMPLETING && nowMs - Date.parse(t.updatedAt) > stallMs);
}

/** Processing tasks with no update for `stallMs` (the watchdog aborts them back to pending). */
export function stalledTasks(status: TranscodeJobStatus, nowMs: number, stallMs: number): TaskStatus[] {
  return (status.tasks ?? []).filter((t) => t.state === TaskState.PROCESSING && nowMs - Date.parse(t.updatedAt) > stallMs);
}
