// What the SWF execution records about a job, within SWF's field limits (lib/aws/limits.ts): the full
// form when it fits, else a compact one that references the TranscodeJob (which holds everything).
// A job description may be ~220 KB (100 outputs with 1 KiB keys); SWF input holds 32,768 characters.
import { SWF_LIMITS, boundedJson } from '../../lib/aws/limits.js';
import type { TaskStatus, TranscodeJob, TranscodeJobStatus } from '../../lib/schema/transcode-job.js';

function jobRef(job: TranscodeJob) {
  return { namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid };
}

/** StartWorkflowExecution input: the START_JOB (G1 shape) or, when too long, its summary and a reference. */
export function workflowInput(job: TranscodeJob): string {
  const head = { type: 'START_JOB', job_id: job.spec.jobId, client: { name: job.spec.clientRef.name }, job: jobRef(job) };
  const d = job.spec.job;
  return boundedJson(
    'StartWorkflowExecution input',
    { ...head, data: d },
    SWF_LIMITS.input,
    () => ({
      ...head,
      data: { input_type: d.input_type, input_bucket: d.input_bucket, input_file: d.input_file, outputs: d.outputs.length },
      data_ref: `spec.job of TranscodeJob ${job.metadata.namespace}/${job.metadata.name}`,
    }),
    () => ({ ...head, data_ref: `spec.job of TranscodeJob ${job.metadata.namespace}/${job.metadata.name}` }),
  );
}

/** ScheduleActivityTask input: the task and its output spec (a spec is small, but keys may be 1 KiB each). */
export function activityInput(job: TranscodeJob, t: TaskStatus): string {
  const head = { job_id: job.spec.jobId, task: t.uuid, name: t.name, type: t.type };
  return boundedJson('ScheduleActivityTask input', { ...head, output: job.spec.job.outputs[t.outputIndex] }, SWF_LIMITS.input, () => ({
    ...head,
    output_index: t.outputIndex,
  }));
}

/** RespondActivityTaskCompleted result: the stored keys, or their count when there are too many. */
export function activityResult(t: TaskStatus): string {
  const r = t.result;
  return boundedJson('activity result', { name: t.name, result: r ?? null }, SWF_LIMITS.result, () => ({
    name: t.name,
    result: r ? { bucket: r.bucket, keys: r.keys.length, ...(r.size !== undefined ? { size: r.size } : {}) } : null,
  }));
}

/** CompleteWorkflowExecution result: the outputs, or per output its status and key count. */
export function workflowResult(job: TranscodeJob, status: TranscodeJobStatus): string {
  const outputs = status.outputs ?? [];
  return boundedJson(
    'workflow result',
    { job_id: job.spec.jobId, outputs },
    SWF_LIMITS.result,
    () => ({
      job_id: job.spec.jobId,
      outputs: outputs.map((o) => ({ index: o.index, type: o.type, status: o.status, keys: o.keys?.length ?? 0 })),
    }),
    () => ({ job_id: job.spec.jobId, outputs: outputs.length, succeeded: outputs.filter((o) => o.status === 'Succeeded').length }),
  );
}
