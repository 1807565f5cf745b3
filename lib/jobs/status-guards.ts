// What a TranscodeJob status write depended on without changing it, as JSON pointers the guarded
// patch tests (lib/kube/status.ts, docs/status-writes.md). A patch already tests every value it
// changes; these add the values a decision read, so no write lands on a task that moved on
// meanwhile (write skew), while writes that read disjoint things still never conflict.
import { jsonEqual, pointer } from '../kube/json-patch.js';
import type { TaskStatus, TranscodeJob } from '../schema/transcode-job.js';

/** A task is the one that was read while its uuid, state, failure count, start time and job token are. */
const TASK_IDENTITY = ['uuid', 'state', 'failures', 'startedAt', 'jobTokenHash'] as const;

function taskPointers(i: number): string[] {
  return TASK_IDENTITY.map((k) => pointer('status', 'tasks', i, k));
}

/** A runner transition of task `uuid` (api-server): it was decided from that task's state and owner. */
export function taskGuards(before: TranscodeJob, uuid: string | undefined): string[] {
  const i = uuid === undefined ? -1 : (before.status?.tasks ?? []).findIndex((t) => t.uuid === uuid);
  return i < 0 ? [] : taskPointers(i);
}

/** Job-level fields whose value does not depend on the states of the tasks (or may lag them: progress). */
const INDEPENDENT = new Set(['tasks', 'progress', 'observedGeneration', 'workflow', 'published', 'probe']);

const withoutSwf = (t: TaskStatus | undefined): unknown => (t ? { ...t, swf: undefined } : undefined);

/**
 * The operator's reconcile write: a task it changes (beyond SWF facts, which are SWF's reality) was
 * decided from that task's state; a job-level outcome (phase, outputs, conditions, ...) from the
 * states of every task. A progress-only or SWF-only write guards nothing: it never conflicts with
 * runners' progress.
 */
export function reconcileGuards(before: TranscodeJob, after: TranscodeJob): string[] {
  const was = before.status?.tasks ?? [];
  const now = after.status?.tasks ?? [];
  const b = (before.status ?? {}) as Record<string, unknown>;
  const a = (after.status ?? {}) as Record<string, unknown>;
  const jobLevel = [...new Set([...Object.keys(b), ...Object.keys(a)])].some((k) => !INDEPENDENT.has(k) && !jsonEqual(b[k], a[k]));
  const out: string[] = [];
  was.forEach((t, i) => {
    if (jobLevel || (now[i]?.uuid === t.uuid && !jsonEqual(withoutSwf(t), withoutSwf(now[i])))) out.push(...taskPointers(i));
  });
  return out;
}
