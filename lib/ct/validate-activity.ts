// Activities that are not runner tasks, as the replies list them, so GET_ACTIVITY_LIST /
// GET_ACTIVITY_STATUS / JOB_STATUS know every activity id the job's messages announced
// (lib/ct/events.ts): the validation (CT's ValidateInputAndAsset: our probe of the input, announced
// once the job left Pending) and outputs refused before any task existed.
import { TaskState, type TranscodeJob } from '../schema/transcode-job.js';
import type { ActivitySummary } from './messages.js';
import { outputActivityId, validateActivityId } from './events.js';
import { TRANSCODE_ACTIVITY, VALIDATE_ACTIVITY, activitySummary, taskStateName } from './report.js';

/** output_index of the validation activity: it belongs to no single output. */
export const VALIDATE_OUTPUT_INDEX = -1;

/** undefined while the validation has not started (the job is still queued, or was canceled before). */
export function validateActivitySummary(job: TranscodeJob): ActivitySummary | undefined {
  const st = job.status;
  const phase = st?.phase ?? 'Pending';
  const probed = st?.probe !== undefined;
  if (!probed && phase !== 'Probing' && phase !== 'Running' && phase !== 'Succeeded' && phase !== 'Failed') return undefined;
  const state = probed ? TaskState.COMPLETED : phase === 'Failed' ? TaskState.ERRORED : TaskState.PROCESSING;
  const created = st?.startedAt ?? String(job.metadata.creationTimestamp ?? '');
  const s: ActivitySummary = {
    activityId: validateActivityId(job),
    activityType: VALIDATE_ACTIVITY,
    name: 'validate input',
    output_index: VALIDATE_OUTPUT_INDEX,
    state: taskStateName(state),
    state_id: state,
    failures: state === TaskState.ERRORED ? 1 : 0,
    created,
  };
  if (st?.startedAt) s.started = st.startedAt;
  if (state === TaskState.ERRORED) {
    if (st?.message) s.error = st.message;
    if (st?.completedAt) s.finished = st.completedAt;
  }
  return s;
}

/** Outputs refused before any runner task existed: their messages announce `output-<index>-<uid>`. */
export function refusedOutputSummaries(job: TranscodeJob): ActivitySummary[] {
  const tasks = job.status?.tasks ?? [];
  return (job.status?.outputs ?? [])
    .filter((o) => o.status === 'Failed' && !tasks.some((t) => t.outputIndex === o.index))
    .map((o) => {
      const s: ActivitySummary = {
        activityId: outputActivityId(job, o.index),
        activityType: TRANSCODE_ACTIVITY,
        name: `output ${o.index} ${o.type}`,
        output_index: o.index,
        state: taskStateName(TaskState.ERRORED),
        state_id: TaskState.ERRORED,
        failures: 1,
        created: job.status?.startedAt ?? String(job.metadata.creationTimestamp ?? ''),
      };
      if (o.details ?? o.reason) s.error = o.details ?? o.reason;
      if (job.status?.startedAt) s.started = job.status.startedAt;
      return s;
    });
}

/** Every activity the job's messages announced: the validation, the runner tasks, the refused outputs. */
export function allActivitySummaries(job: TranscodeJob): ActivitySummary[] {
  const v = validateActivitySummary(job);
  return [...(v ? [v] : []), ...(job.status?.tasks ?? []).map(activitySummary), ...refusedOutputSummaries(job)];
}
