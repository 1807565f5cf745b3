// The client messages a TranscodeJob's current state implies, in protocol order, each with a stable
// key recorded in status.published once sent (so restarts do not resend). Level-based: from one
// snapshot we derive everything that must have happened (a task seen COMPLETED implies STARTED,
// PREPARING, FINISHING, COMPLETED), so a missed intermediate state still yields the full sequence.
//
// Per job: JOB_STARTED first; then the validation step (ValidateInputAndAsset STARTED/COMPLETED or
// FAILED); then per task: ACTIVITY_TIMEOUT for every watchdog take-back, ACTIVITY_STARTED +
// ACTIVITY_PREPARING for the current attempt (before them, ACTIVITY_UNSCHEDULABLE while no live runner
// serves the task's type), ACTIVITY_PROGRESS (unrecorded, throttled by the
// publisher), ACTIVITY_FINISHING, then ACTIVITY_COMPLETED | ACTIVITY_FAILED | ACTIVITY_CANCELED; then
// ACTIVITY_FAILED for outputs that failed before any task existed; last JOB_COMPLETED | JOB_FAILED |
// JOB_CANCELED.
import { TaskState, type TaskStatus, type TranscodeJob } from '../schema/transcode-job.js';
import { ctMessage, type ActivityInfo, type CtMessage, type MessageType, type WorkflowRef } from './messages.js';
import { TRANSCODE_ACTIVITY, VALIDATE_ACTIVITY, isFinishedPhase, outputReports, workflowOf } from './report.js';
import { g1AssetInfo } from './asset-info.js';

export interface PlannedMessage {
  /** Recorded in status.published after sending; undefined = progress (never recorded). */
  key?: string;
  /** For progress throttling. */
  taskUuid?: string;
  message: CtMessage;
}

export interface PlanOptions {
  /** Wait for status.workflow.runId before JOB_STARTED (SWF recording on). */
  requireWorkflow: boolean;
  now?: number;
}

/** Key of the job-end message: once published, the job needs no more work. */
export const JOB_END_KEY = 'job:end';

export function validateActivityId(job: TranscodeJob): string {
  return `validate-${job.metadata.uid ?? job.metadata.name}`;
}

export function outputActivityId(job: TranscodeJob, index: number): string {
  return `output-${index}-${job.metadata.uid ?? job.metadata.name}`;
}

/** Attempt number of a task's current (or last) run: stable while that run lasts, new for the next one. */
export function attemptOf(task: TaskStatus): number {
  const failuresBefore = task.state === TaskState.ERRORED ? Math.max(0, task.failures - 1) : task.failures;
  return failuresBefore + (task.timeouts ?? 0);
}

export function planMessages(job: TranscodeJob, published: ReadonlySet<string>, opts: PlanOptions): PlannedMessage[] {
  const status = job.status;
  if (!status || published.has(JOB_END_KEY)) return [];
  const phase = status.phase;
  const finished = isFinishedPhase(phase);
  if (!status.workflow?.runId && opts.requireWorkflow && !finished) return [];

  const jobId = job.spec.jobId;
  const workflow = workflowOf(job);
  const out: PlannedMessage[] = [];
  const at = opts.now ?? Date.now();
  const push = (key: string | undefined, type: MessageType, data: CtMessage['data'], taskUuid?: string) => {
    if (key !== undefined && published.has(key)) return;
    out.push({ ...(key !== undefined ? { key } : {}), ...(taskUuid ? { taskUuid } : {}), message: ctMessage(type, jobId, data, 0) });
  };
  const activity = (a: ActivityInfo) => ({ workflow, activity: a });

  push('job:started', 'JOB_STARTED', { workflow: { ...workflow, input: job.spec.job } });

  // The validation step (probe): CT's first activity.
  const validate = { activityId: validateActivityId(job), activityType: VALIDATE_ACTIVITY };
  const probed = status.probe !== undefined;
  const tasks = status.tasks ?? [];
  if (probed || phase === 'Probing' || phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') {
    push('validate:started', 'ACTIVITY_STARTED', activity({ ...validate, input: job.spec.job }));
    if (probed) push('validate:completed', 'ACTIVITY_COMPLETED', activity(validate));
    else if (phase === 'Failed' && tasks.length === 0) {
      push(
        'validate:failed',
        'ACTIVITY_FAILED',
        activity({ ...validate, reason: status.reason ?? 'FATAL_ISSUE', details: status.message ?? 'the input could not be validated' }),
      );
    }
  }

  for (const task of tasks) planTask(job, task, push, workflow);

  // Outputs refused before any task was planned for them (RATIO_ERROR, UNKNOWN_PRESET, …): started,
  // then failed, so a client mapping activity ids to outputs from ACTIVITY_STARTED can place the failure.
  for (const o of status.outputs ?? []) {
    if (o.status !== 'Failed' || tasks.some((t) => t.outputIndex === o.index)) continue;
    const refused = { activityId: outputActivityId(job, o.index), activityType: TRANSCODE_ACTIVITY };
    push(`output:${o.index}:started`, 'ACTIVITY_STARTED', activity({ ...refused, input: transcodeInput(job, o.index) }));
    push(
      `output:${o.index}:failed`,
      'ACTIVITY_FAILED',
      activity({
        ...refused,
        reason: o.reason ?? 'TRANSCODE_FAIL',
        details: o.details ?? `output ${o.index} failed`,
      }),
    );
  }

  if (finished) {
    const outputs = outputReports(job);
    if (phase === 'Succeeded') {
      push(JOB_END_KEY, 'JOB_COMPLETED', { workflow, outputs, failed: outputs.filter((o) => o.status === 'Failed').map((o) => o.index) });
    } else if (phase === 'Failed') {
      push(JOB_END_KEY, 'JOB_FAILED', {
        workflow,
        reason: status.reason ?? 'FATAL_ISSUE',
        details: status.message ?? 'the job failed',
        outputs,
      });
    } else {
      push(JOB_END_KEY, 'JOB_CANCELED', { workflow, reason: 'JOB_CANCELED', details: status.message ?? 'the job was canceled', outputs });
    }
  }
  // Times are assigned in order here so a client sorting by `time` sees the protocol order.
  out.forEach((p, i) => (p.message.time = Math.round((at + i * 0.001) * 1000) / 1e6));
  return out;
}

/** activity.input of a TranscodeAsset ACTIVITY_STARTED: G1's {input_asset_type, input_asset_info, output} + extensions. */
function transcodeInput(job: TranscodeJob, outputIndex: number): Record<string, unknown> {
  const probe = job.status?.probe;
  return {
    input_asset_type: job.spec.job.input_type,
    input_asset_info: g1AssetInfo(probe),
    output: job.spec.job.outputs[outputIndex],
    output_index: outputIndex,
    ...(probe ? { input_asset_probe: probe } : {}),
  };
}

type Push = (key: string | undefined, type: MessageType, data: CtMessage['data'], taskUuid?: string) => void;

function planTask(job: TranscodeJob, task: TaskStatus, push: Push, workflow: WorkflowRef): void {
  const u = task.uuid;
  const base = { activityId: u, activityType: TRANSCODE_ACTIVITY };
  const activity = (a: Partial<ActivityInfo> = {}) => ({ workflow, activity: { ...base, ...a } });
  for (let n = 1; n <= (task.timeouts ?? 0); n++) {
    push(`${u}:timeout:${n}`, 'ACTIVITY_TIMEOUT', activity({ status: 'TIMED_OUT', timeoutType: 'HEARTBEAT' }));
  }
  const a = attemptOf(task);
  const s = task.state;
  // Waiting for a runner of its type (operator/job/scheduling.ts): once per waiting episode.
  if (s === TaskState.PENDING && task.unschedulable) {
    push(`${u}:unschedulable:${task.unschedulable.since}`, 'ACTIVITY_UNSCHEDULABLE', {
      workflow,
      activity: {
        ...base,
        status: 'UNSCHEDULABLE',
        reason: 'NO_RUNNER_FOR_TASK_TYPE',
        details: task.unschedulable.message,
        task_type: task.type,
        deadline: task.unschedulable.deadline,
      },
    });
  }
  const ran =
    s === TaskState.PROCESSING ||
    s === TaskState.COMPLETING ||
    s === TaskState.COMPLETED ||
    (s === TaskState.ERRORED && task.startedAt !== undefined) ||
    (s === TaskState.CANCELLED && task.runner !== undefined);
  const failed = s === TaskState.ERRORED || s === TaskState.PARENT_ERRORED;
  // A task that failed without running (its parent failed) is still announced before its failure.
  if (ran || failed) {
    push(`${u}:started:${a}`, 'ACTIVITY_STARTED', activity({ input: { ...transcodeInput(job, task.outputIndex), task: task.name } }));
  }
  if (ran) push(`${u}:preparing:${a}`, 'ACTIVITY_PREPARING', activity());
  if (s === TaskState.PROCESSING && task.progress !== undefined && task.progress > 0) {
    const duration = job.status?.probe?.duration;
    const progress: Partial<ActivityInfo> = { progress: task.progress };
    if (duration !== undefined) {
      progress.duration = duration;
      progress.done = Math.round(duration * task.progress) / 100;
    }
    push(undefined, 'ACTIVITY_PROGRESS', activity(progress), u);
  }
  if (s === TaskState.COMPLETING || s === TaskState.COMPLETED) push(`${u}:finishing:${a}`, 'ACTIVITY_FINISHING', activity());
  if (s === TaskState.COMPLETED) push(`${u}:completed`, 'ACTIVITY_COMPLETED', activity());
  if (failed) {
    const out = job.status?.outputs?.find((o) => o.index === task.outputIndex);
    push(
      `${u}:failed`,
      'ACTIVITY_FAILED',
      activity({
        reason: out?.status === 'Failed' && out.reason ? out.reason : 'TRANSCODE_FAIL',
        details: task.error ?? 'the task failed',
      }),
    );
  }
  if (s === TaskState.CANCELLED || s === TaskState.PARENT_CANCELLED) {
    push(
      `${u}:canceled`,
      'ACTIVITY_CANCELED',
      activity({
        reason: job.spec.cancel ? 'JOB_CANCELED' : 'ACTIVITY_CANCELED',
        details: task.error ?? 'the activity was canceled',
      }),
    );
  }
}
