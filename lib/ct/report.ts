// How a TranscodeJob looks to a CT client: workflow ids, outputs, activities (runner tasks) and the
// job summary, as the replies (JOB_STATUS, JOB_LIST, ACTIVITY_*) and the job-end messages carry them.
import { TaskState, type TaskStatus, type TranscodeJob } from '../schema/transcode-job.js';
import type { ActivitySummary, ActivityType, JobSummary, OutputReport, WorkflowRef } from './messages.js';
import { isTerminalPhase } from '../jobs/phases.js';

export const TRANSCODE_ACTIVITY: ActivityType = { name: 'TranscodeAsset', version: 'v1' };
export const VALIDATE_ACTIVITY: ActivityType = { name: 'ValidateInputAndAsset', version: 'v1' };

const STATE_NAMES = Object.fromEntries(Object.entries(TaskState).map(([name, id]) => [id, name])) as Record<number, string>;

export function taskStateName(state: number): string {
  return STATE_NAMES[state] ?? `STATE_${state}`;
}

/** data.workflow: the job's SWF execution; `ct-<uid>` / '' while none is recorded (SWF recording off). */
export function workflowOf(job: TranscodeJob): WorkflowRef {
  return {
    workflowId: job.status?.workflow?.workflowId ?? `ct-${job.metadata.uid ?? job.metadata.name ?? ''}`,
    runId: job.status?.workflow?.runId ?? '',
  };
}

export function outputReports(job: TranscodeJob): OutputReport[] {
  return job.spec.job.outputs.map((spec, index) => {
    const st = job.status?.outputs?.find((o) => o.index === index);
    const report: OutputReport = { index, output_type: spec.output_type, status: st?.status ?? 'Pending' };
    if (st?.bucket) report.bucket = st.bucket;
    if (st?.keys) report.keys = st.keys;
    if (st?.keyCount !== undefined) report.key_count = st.keyCount;
    if (st?.keyPrefix !== undefined) report.key_prefix = st.keyPrefix;
    if (st?.manifest) report.manifest = st.manifest;
    if (st?.size !== undefined) report.size = st.size;
    if (st?.reason) report.reason = st.reason;
    if (st?.details) report.details = st.details;
    if (st?.encoding) report.encoding = st.encoding;
    return report;
  });
}

export function activitySummary(task: TaskStatus): ActivitySummary {
  const s: ActivitySummary = {
    activityId: task.uuid,
    activityType: TRANSCODE_ACTIVITY,
    name: task.name,
    output_index: task.outputIndex,
    state: taskStateName(task.state),
    state_id: task.state,
    failures: task.failures,
    created: task.createdAt,
  };
  if (task.progress !== undefined) s.progress = task.progress;
  if (task.timeouts) s.timeouts = task.timeouts;
  if (task.runner?.name) s.runner = task.runner.name;
  if (task.error) s.error = task.error;
  if (task.startedAt) s.started = task.startedAt;
  if (task.finishedAt) s.finished = task.finishedAt;
  if (task.result) s.result = task.result;
  return s;
}

export function jobSummary(job: TranscodeJob): JobSummary {
  const st = job.status;
  const s: JobSummary = { job_id: job.spec.jobId, phase: st?.phase ?? 'Pending' };
  if (st?.progress !== undefined) s.progress = st.progress;
  if (st?.reason) s.reason = st.reason;
  if (st?.message) s.details = st.message;
  if (job.metadata.creationTimestamp) s.created = String(job.metadata.creationTimestamp);
  if (st?.startedAt) s.started = st.startedAt;
  if (st?.completedAt) s.completed = st.completedAt;
  if (st?.workflow?.runId) s.workflow = workflowOf(job);
  return s;
}

/** lib/jobs/phases.ts */
export const isFinishedPhase = isTerminalPhase;
