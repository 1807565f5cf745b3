// Status mutations of a Pending job, without I/O: canceled before start, queued (not admitted),
// started (planned → Running, or Failed with CT's reason). The reconciler applies them in its
// single status write; that write also sets Completed on a terminal transition (completion.ts).
import type { TranscodeJob, TranscodeJobStatus, OutputStatus, JobTiming } from '../../lib/schema/transcode-job.js';
import { AdmittedReason, JobCondition } from '../../lib/schema/job-conditions.js';
import { setCondition } from '../runtime/conditions.js';
import { finishIfDone } from './lifecycle.js';
import { ANNOTATION_RECEIVED_AT } from '../../lib/ct/naming.js';
import type { Plan } from './plan.js';

function isPending(s: TranscodeJobStatus): boolean {
  return (s.phase ?? 'Pending') === 'Pending';
}

function everyOutput(job: TranscodeJob, status: OutputStatus['status'], reason: string, details?: string): OutputStatus[] {
  return job.spec.job.outputs.map((o, index) => ({
    index,
    type: o.output_type,
    status,
    bucket: o.output_bucket,
    reason,
    ...(details !== undefined ? { details } : {}),
  }));
}

export function cancelBeforeStart(job: TranscodeJob, s: TranscodeJobStatus, nowIso: string): void {
  if (!isPending(s)) return;
  s.phase = 'Canceled';
  s.reason = 'JOB_CANCELED';
  s.message = 'the job was canceled before it started';
  s.outputs = everyOutput(job, 'Canceled', 'JOB_CANCELED');
  s.completedAt = nowIso;
}

export function markQueued(job: TranscodeJob, s: TranscodeJobStatus, reason: string, message: string): void {
  s.phase = 'Pending';
  s.reason = reason;
  s.message = message;
  s.conditions = setCondition(s.conditions, { type: JobCondition.Admitted, status: 'False', reason, message }, job.metadata.generation);
}

export interface StartOutcome {
  nowIso: string;
  workflow: TranscodeJobStatus['workflow'] | undefined;
  probe: TranscodeJobStatus['probe'];
  /** Why the input was rejected (too large, not readable, not media); undefined when planned. */
  failure: { reason: string; message: string } | undefined;
  plan: Plan | undefined;
  /** Hops of this start (received, admitted, workflowStarted, probed, planned). */
  timing?: JobTiming;
}

/** The listener's receive time (annotation), when it is a valid time. */
export function receivedAt(job: TranscodeJob): Pick<JobTiming, 'received'> {
  const at = Date.parse(job.metadata.annotations?.[ANNOTATION_RECEIVED_AT] ?? '');
  return Number.isFinite(at) ? { received: new Date(at).toISOString() } : {};
}

export function applyStart(job: TranscodeJob, s: TranscodeJobStatus, o: StartOutcome): void {
  if (!isPending(s)) return; // someone else got there first
  if (o.workflow) s.workflow = { ...s.workflow, ...o.workflow };
  s.startedAt = o.nowIso;
  delete s.reason;
  delete s.message;
  s.conditions = setCondition(
    s.conditions,
    { type: JobCondition.Admitted, status: 'True', reason: AdmittedReason.Admitted, message: 'the job is running' },
    job.metadata.generation,
  );
  if (o.probe) s.probe = o.probe;
  if (o.timing) s.timing = { ...o.timing, ...s.timing };
  if (o.failure || !o.plan) {
    const reason = o.failure?.reason ?? 'GET_VIDEO_INFO_FAILED';
    const message = o.failure?.message ?? 'probe failed';
    s.phase = 'Failed';
    s.reason = reason;
    s.message = message;
    s.outputs = everyOutput(job, 'Failed', reason, message);
    s.tasks = [];
    s.progress = 0;
    s.completedAt = o.nowIso;
    return;
  }
  s.tasks = o.plan.tasks;
  s.outputs = o.plan.outputs;
  s.progress = 0;
  s.phase = 'Running';
  // Every output invalid: nothing to run, the job fails now.
  finishIfDone(job, s, o.nowIso);
}
