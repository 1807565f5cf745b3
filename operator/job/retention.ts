// When a finished TranscodeJob may be deleted (like Kubernetes' ttlSecondsAfterFinished): pure, from
// the stored job alone, so the retention controller (operator/retention/) is level-based and any
// replica that leads computes the same answer. docs/retention.md.
import { JOB_END_KEY } from '../../lib/ct/events.js';
import { isTerminalPhase } from '../../lib/jobs/phases.js';
import { JobCondition } from '../../lib/schema/job-conditions.js';
import type { TranscodeClient } from '../../lib/schema/transcode-client.js';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';

export type RetentionDecision =
  /** Not finished, or finished but its end is not durable yet: nothing to do until its status changes. */
  | { action: 'keep'; why: string }
  /** Finished and durable; deletable once the TTL has run out. */
  | { action: 'wait'; afterMs: number }
  /** Delete it now; `record` = write the job record to the client's output bucket first. */
  | { action: 'delete'; record: boolean };

export interface RetentionInput {
  /** The client's TTL when it sets one, else the global CT_JOB_TTL_SECONDS, in ms. */
  ttlMs: number;
  now: number;
  /** SWF recording on: a job with an execution waits until it is closed (SWF is CT's own record). */
  swfEnabled: boolean;
  /** The job's TranscodeClient exists: without it nobody can ask about the job, so no record is needed. */
  clientExists: boolean;
}

/** The TTL that applies to the jobs of `client`: its own spec.jobRetention, else the global default. */
export function ttlMsFor(client: TranscodeClient | undefined, defaultTtlMs: number): number {
  const own = client?.spec.jobRetention?.ttlSecondsAfterFinished;
  return own === undefined ? defaultTtlMs : own * 1000;
}

/** When the job ended: status.completedAt, else the Completed condition's transition time. */
export function finishedAt(job: TranscodeJob): number | undefined {
  const st = job.status;
  if (!st || !isTerminalPhase(st.phase)) return undefined;
  const completed = st.conditions?.find((c) => c.type === JobCondition.Completed && c.status === 'True');
  const at = Date.parse(st.completedAt ?? completed?.lastTransitionTime ?? '');
  return Number.isFinite(at) ? at : undefined;
}

export function retentionDecision(job: TranscodeJob, input: RetentionInput): RetentionDecision {
  if (job.metadata.deletionTimestamp) return { action: 'keep', why: 'being deleted' };
  const ended = finishedAt(job);
  if (ended === undefined) return { action: 'keep', why: 'not finished' };
  const st = job.status ?? {};
  // Every accepted job ends with exactly one end message: never delete before it went out. Video-API
  // jobs are answered over HTTP and have no CT end message.
  if (job.spec.source !== 'api' && input.clientExists && !(st.published ?? []).includes(JOB_END_KEY))
    return { action: 'keep', why: 'end message not sent yet' };
  if (input.swfEnabled && st.workflow && !st.workflow.closed) return { action: 'keep', why: 'SWF execution not closed yet' };
  const left = ended + input.ttlMs - input.now;
  if (left > 0) return { action: 'wait', afterMs: left };
  return { action: 'delete', record: input.clientExists };
}
