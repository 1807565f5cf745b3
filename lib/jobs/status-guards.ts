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

const withoutSwf = (t: TaskStatus | undefined): unknown => (t ? { ...t, swf: undefined } : undefined);

/**
 * The operator's reconcile write: a task it changes (beyond SWF facts, which are SWF's reality) was
 * decided from that task's state and, for the stall watchdog, its last update (a runner heartbeat
 * landing meanwhile must win). Job-level outcomes (outputs, phase) need no guard: they follow from
 * terminal task states, which never change again, and the tasks they cancel are changed tasks;
 * what else is derived (an output's Running, the aggregate progress) is recomputed by the reconcile
 * the other writer's change triggers. A progress-only or SWF-only write guards nothing.
 */
export function reconcileGuards(before: TranscodeJob, after: TranscodeJob): string[] {
  const was = before.status?.tasks ?? [];
  const now = after.status?.tasks ?? [];
  const out: string[] = [];
  was.forEach((t, i) => {
    if (now[i]?.uuid === t.uuid && !jsonEqual(withoutSwf(t), withoutSwf(now[i]))) {
      out.push(...taskPointers(i), pointer('status', 'tasks', i, 'updatedAt'));
    }
  });
  return out;
}
