// A job whose status the apiserver refuses as too large (etcd `request is too large`, 413) can never
// make progress: retrying the same write loops forever and the client hears nothing. Instead the job
// fails with JOB_TOO_LARGE in one compact write: every unfinished task is cancelled, the bulky parts
// of each task (payload, inputs, placement files, long errors, key lists) are dropped or cut to the
// bounds of lib/jobs/status-limits.ts, and every unfinished output fails with the same reason.
import { isTerminal } from '../../lib/peertube/task-state.js';
import { INLINE_KEYS } from '../../lib/jobs/status-limits.js';
import { TaskState, type TranscodeJob, type TranscodeJobStatus } from '../../lib/schema/transcode-job.js';
import { isJobTerminal } from './lifecycle.js';

export const TOO_LARGE_REASON = 'JOB_TOO_LARGE';
const TEXT_MAX = 500;

const cut = (s: string | undefined) => (s !== undefined && s.length > TEXT_MAX ? `${s.slice(0, TEXT_MAX)}…` : s);

function boundList<T extends { keys?: string[]; keyCount?: number }>(o: T): void {
  if (o.keys && o.keys.length > INLINE_KEYS) {
    o.keyCount ??= o.keys.length;
    o.keys = o.keys.slice(0, INLINE_KEYS);
  }
}

/** Mutates `s` into the compact, terminal status of a job whose status could not be written. */
export function failTooLarge(job: TranscodeJob, s: TranscodeJobStatus, nowIso: string): void {
  const message = "the job's state grew beyond what the cluster can store; the job was stopped";
  for (const t of s.tasks ?? []) {
    if (!isTerminal(t.state)) {
      t.state = TaskState.CANCELLED;
      t.error = message;
      t.finishedAt = nowIso;
      t.updatedAt = nowIso;
      delete t.jobTokenHash;
    }
    t.payload = {};
    t.inputs = {};
    t.placement = { bucket: t.placement.bucket };
    const error = cut(t.error);
    if (error !== undefined) t.error = error;
    if (t.result) boundList(t.result);
  }
  for (const o of s.outputs ?? []) {
    boundList(o);
    const details = cut(o.details);
    if (details !== undefined) o.details = details;
    if (o.status === 'Succeeded' || o.status === 'Failed' || o.status === 'Canceled') continue;
    o.status = 'Failed';
    o.reason = TOO_LARGE_REASON;
    o.details = message;
  }
  if (!s.outputs?.length) {
    s.outputs = job.spec.job.outputs.map((o, index) => ({
      index,
      type: o.output_type,
      status: 'Failed',
      bucket: o.output_bucket,
      reason: TOO_LARGE_REASON,
      details: message,
    }));
  }
  if (isJobTerminal(s)) return;
  s.phase = 'Failed';
  s.reason = TOO_LARGE_REASON;
  s.message = message;
  s.completedAt = nowIso;
  s.startedAt ??= nowIso; // the Completed condition is set by the status write (completion.ts)
}
