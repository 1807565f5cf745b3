// One activity per runner task attempt, kept in line with the task in the CR: polled (started) with the
// runner's name as identity when a runner took the task, heartbeats for progress (throttled), and
// RespondActivityTask{Completed,Failed,Canceled} for its outcome. A retried task (runner error,
// watchdog, abort) fails the current attempt; the decider then schedules attempt `<uuid>.<n>`.
import {
  PollForActivityTaskCommand,
  RecordActivityTaskHeartbeatCommand,
  RespondActivityTaskCanceledCommand,
  RespondActivityTaskCompletedCommand,
  RespondActivityTaskFailedCommand,
} from '@aws-sdk/client-swf';
import { SWF_LIMITS, boundedJson, truncate } from '../../lib/aws/limits.js';
import { errorInfo } from '../../lib/log.js';
import { TaskState, type TaskStatus, type TranscodeJob } from '../../lib/schema/transcode-job.js';
import { unless, type SwfApi } from './api.js';
import { activityIdFor, roundOf, type TaskSwf } from './facts.js';
import type { HistorySummary } from './history.js';
import { activityResult } from './payloads.js';

/** A close of an activity SWF already closed (an earlier attempt whose status write we do not see yet) is done. */
const closing = (fn: () => Promise<unknown>) => unless(['UnknownResourceFault'], fn);

function waiting(t: TaskStatus): boolean {
  return t.state === TaskState.PENDING || t.state === TaskState.WAITING_FOR_PARENT_JOB;
}

/**
 * Activities a runner took that we hold no token for: either not started yet (polled later) or started
 * by a poll whose status write was lost in a crash. A lost one can never be closed by us, so we stop
 * waiting for it (it closes with the execution). Returns the tasks' new swf state.
 */
export function lostStarts(
  api: SwfApi,
  job: TranscodeJob,
  unstarted: readonly { task: TaskStatus; swf: TaskSwf }[],
  history: HistorySummary,
): Map<string, TaskSwf> {
  const out = new Map<string, TaskSwf>();
  for (const { task, swf } of unstarted) {
    const started = history.started.has(swf.activityId);
    if (!started && !history.closed.has(swf.activityId)) continue;
    if (started)
      api.log.warn(
        { job: job.metadata.name, task: task.uuid, activityId: swf.activityId },
        'SWF activity started but its task token was lost; it stays open until the execution closes',
      );
    out.set(task.uuid, { ...swf, closed: true });
  }
  return out;
}

/** Scheduled, open, no token yet, and a runner has it: the history must tell whether it was started. */
export function needsHistory(t: TaskStatus, s: TaskSwf): boolean {
  return !!s.scheduled && !s.closed && !s.taskToken && !waiting(t);
}

export class Activities {
  private readonly heartbeats = new Map<string, { at: number; progress: number | undefined }>();

  constructor(private readonly api: SwfApi) {}

  /** Brings the task's current activity in line with the task; returns its new swf state if it changed. */
  async sync(job: TranscodeJob, t: TaskStatus, current: TaskSwf, jobCanceled: boolean): Promise<TaskSwf | undefined> {
    if (!current.scheduled || current.closed) return undefined;
    let swf = current;
    const newRound = t.state === TaskState.PENDING && roundOf(t) > (swf.round ?? 0);
    if (!swf.taskToken && (!waiting(t) || newRound)) {
      // An unstarted activity of a cancelled job is closed by the termination.
      if (jobCanceled) return undefined;
      const token = await this.start(t, swf);
      if (!token) return undefined; // not visible yet: the caller retries later
      swf = { ...swf, taskToken: token };
    }
    if (!swf.taskToken) return undefined;
    const next = await this.report(job, t, swf, newRound);
    return next ?? (swf !== current ? swf : undefined);
  }

  private async start(t: TaskStatus, swf: TaskSwf): Promise<string | undefined> {
    const identity = truncate(t.runner?.name ?? 'ct-operator', SWF_LIMITS.identity);
    const r = await this.api.call('PollForActivityTask', (client) =>
      client.send(
        new PollForActivityTaskCommand({ domain: this.api.cfg.domain, taskList: { name: this.api.activityTaskList(t.uuid) }, identity }),
      ),
    );
    if (r.taskToken && r.activityId !== swf.activityId)
      this.api.log.warn({ task: t.uuid, expected: swf.activityId, got: r.activityId }, 'unexpected activity on the task list');
    return r.taskToken;
  }

  /** Reports the task's state on a started activity; returns the new swf state when the attempt closed. */
  private async report(job: TranscodeJob, t: TaskStatus, swf: TaskSwf, newRound: boolean): Promise<TaskSwf | undefined> {
    const token = swf.taskToken!;
    const log = { job: job.metadata.name, task: t.uuid, activityId: swf.activityId };
    const close = (): TaskSwf => {
      // Every way an attempt ends forgets its heartbeat throttle (not only success): no per-task state outlives the task.
      this.heartbeats.delete(swf.activityId);
      const { taskToken: _drop, ...rest } = swf;
      return { ...rest, closed: true };
    };
    // A new attempt is needed: close this one as failed and let the decider schedule `<uuid>.<n>`.
    const reschedule = (): TaskSwf => {
      this.heartbeats.delete(swf.activityId);
      const attempt = (swf.attempt ?? 0) + 1;
      return { activityId: activityIdFor(t.uuid, attempt), attempt, round: roundOf(t), scheduled: false };
    };
    switch (t.state) {
      case TaskState.COMPLETED:
        await closing(() =>
          this.api.call('RespondActivityTaskCompleted', (c) =>
            c.send(new RespondActivityTaskCompletedCommand({ taskToken: token, result: activityResult(t) })),
          ),
        );
        this.api.log.info(log, 'SWF activity completed');
        return close();
      case TaskState.ERRORED:
      case TaskState.PARENT_ERRORED:
        await this.fail(token, 'TRANSCODE_FAIL', t.error ?? 'task failed');
        this.api.log.info(log, 'SWF activity failed');
        return close();
      case TaskState.CANCELLED:
      case TaskState.PARENT_CANCELLED:
        await this.cancel(token, t.error ?? 'canceled', log);
        return close();
      case TaskState.PENDING:
        if (newRound) {
          const timedOut = (t.timeouts ?? 0) > 0 && t.error?.startsWith('no update from runner');
          await this.fail(token, timedOut ? 'ACTIVITY_TIMEOUT' : 'TRANSCODE_FAIL', t.error ?? 'retry');
          this.api.log.info({ ...log, round: roundOf(t) }, 'SWF activity attempt failed; the task is retried');
          return reschedule();
        }
        // Back to PENDING in the same round while we hold a token: the runner gave the task back.
        await this.fail(token, 'ABORTED', 'the runner gave the task back');
        return reschedule();
      case TaskState.PROCESSING:
      case TaskState.COMPLETING:
        await this.heartbeat(token, t, swf, log);
        return undefined;
      default:
        return undefined;
    }
  }

  private async cancel(token: string, details: string, log: Record<string, unknown>): Promise<void> {
    try {
      await closing(() =>
        this.api.call('RespondActivityTaskCanceled', (c) =>
          c.send(new RespondActivityTaskCanceledCommand({ taskToken: token, details: truncate(details, SWF_LIMITS.details) })),
        ),
      );
    } catch (err) {
      // Emulators without RespondActivityTaskCanceled: the activity still must not stay open.
      this.api.log.debug({ ...log, err: errorInfo(err) }, 'RespondActivityTaskCanceled refused; reporting the cancel as a failure');
      await this.fail(token, 'JOB_CANCELED', details);
    }
  }

  private async heartbeat(token: string, t: TaskStatus, swf: TaskSwf, log: Record<string, unknown>): Promise<void> {
    const last = this.heartbeats.get(swf.activityId);
    const now = Date.now();
    if (last && (now - last.at < this.api.cfg.heartbeatIntervalMs || last.progress === t.progress)) return;
    this.heartbeats.set(swf.activityId, { at: now, progress: t.progress });
    // Closed meanwhile (we are reading a CR version older than our own last write): nothing to report.
    await unless(['UnknownResourceFault'], async () => {
      const r = await this.api.call('RecordActivityTaskHeartbeat', (c) =>
        c.send(
          new RecordActivityTaskHeartbeatCommand({
            taskToken: token,
            details: boundedJson('heartbeat details', { progress: t.progress ?? 0 }, SWF_LIMITS.heartbeatDetails),
          }),
        ),
      );
      if (r.cancelRequested) this.api.log.info(log, 'SWF asks to cancel this activity (cancel the job or task to act on it)');
    });
  }

  private async fail(token: string, reason: string, details: string): Promise<void> {
    await closing(() =>
      this.api.call('RespondActivityTaskFailed', (c) =>
        c.send(
          new RespondActivityTaskFailedCommand({
            taskToken: token,
            reason: truncate(reason, SWF_LIMITS.reason),
            details: truncate(details, SWF_LIMITS.details),
          }),
        ),
      ),
    );
  }
}
