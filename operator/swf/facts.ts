// What the SWF recorder hands back to the job reconciler, and the ids it derives from a job: the
// execution of a job, the activity of each attempt of a task.
import { TaskState, type TaskStatus, type TranscodeJob, type TranscodeJobStatus } from '../../lib/schema/transcode-job.js';

export type TaskSwf = NonNullable<TaskStatus['swf']>;
export type WorkflowRef = NonNullable<TranscodeJobStatus['workflow']>;
export interface Execution {
  workflowId: string;
  runId: string;
}

export interface SwfFacts {
  workflow?: WorkflowRef;
  /** New value of task.swf per task uuid (SWF reality; applied as-is to the fresh CR). */
  tasks: Map<string, TaskSwf>;
  /** Re-run the sync after this long (SWF had nothing for us yet). */
  retryMs?: number;
}

export function applySwfFacts(status: TranscodeJobStatus, facts: SwfFacts): void {
  if (facts.workflow) status.workflow = { ...status.workflow, ...facts.workflow };
  for (const t of status.tasks ?? []) {
    const swf = facts.tasks.get(t.uuid);
    if (swf) t.swf = swf;
  }
}

export function workflowIdOf(job: TranscodeJob): string {
  return `ct-${job.metadata.uid ?? job.metadata.name}`;
}

/** The task's round: how many times it was handed back (errors + watchdog), see TaskSwf.round. */
export function roundOf(t: TaskStatus): number {
  return t.failures + (t.timeouts ?? 0);
}

export function activityIdFor(uuid: string, attempt: number): string {
  return attempt === 0 ? uuid : `${uuid}.${attempt}`;
}

// States in which a runner actually ran the task (so SWF must show it scheduled and started).
const RAN = new Set<number>([TaskState.PROCESSING, TaskState.COMPLETING, TaskState.COMPLETED, TaskState.ERRORED]);
/** States whose activity must be scheduled in SWF. */
export const SCHEDULABLE = new Set<number>([TaskState.PENDING, ...RAN]);

/** The task's SWF state as this sync sees it: decided earlier in the sync, else as stored. */
export type SwfOf = (t: TaskStatus) => TaskSwf;
