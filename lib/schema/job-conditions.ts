// Condition types and reasons of a TranscodeJob's status.conditions (metav1.Condition), in one place.
import type { TranscodeJobStatus } from './transcode-job.js';

export const JobCondition = {
  /** False while the job waits (reason says why), True once it started. */
  Admitted: 'Admitted',
  /** True once the job is terminal; the reason is the terminal phase. */
  Completed: 'Completed',
  /** True while a task of the job has no live runner serving its type. */
  Unschedulable: 'Unschedulable',
} as const;
export type JobConditionType = (typeof JobCondition)[keyof typeof JobCondition];

export const AdmittedReason = {
  Admitted: 'Admitted',
  ClientNotFound: 'ClientNotFound',
  ClientNotReady: 'ClientNotReady',
  ConcurrencyLimit: 'ConcurrencyLimit',
} as const;
export type AdmittedReason = (typeof AdmittedReason)[keyof typeof AdmittedReason];

export const UnschedulableReason = {
  NoRunnerForTaskType: 'NoRunnerForTaskType',
  RunnersAvailable: 'RunnersAvailable',
  NoRunnerDeadlinePassed: 'NoRunnerDeadlinePassed',
} as const;

/** Reasons of Completed=True: the terminal phase itself. */
export type CompletedReason = Extract<NonNullable<TranscodeJobStatus['phase']>, 'Succeeded' | 'Failed' | 'Canceled'>;
