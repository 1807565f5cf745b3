// The validation activity (CT's ValidateInputAndAsset: our probe of the input) as the replies list it,
// so GET_ACTIVITY_LIST / GET_ACTIVITY_STATUS / JOB_STATUS know every activity id the job's messages
// announced (lib/ct/events.ts sends its ACTIVITY_STARTED once the job left Pending).
import { TaskState, type TranscodeJob } from '../schema/transcode-job.js';
import type { ActivitySummary } from './messages.js';
import { validateActivityId } from './events.js';
import { VALIDATE_ACTIVITY, activitySummary, taskStateName } from './report.js';

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

/** Every activity of a job: the validation first, then the runner tasks. */
export function allActivitySummaries(job: TranscodeJob): ActivitySummary[] {
  const v = validateActivitySummary(job);
  return [...(v ? [v] : []), ...(job.status?.tasks ?? []).map(activitySummary)];
}
