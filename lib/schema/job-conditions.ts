// Condition types and reasons of a TranscodeJob's status.conditions (metav1.Condition), in one place.
import { names, type ValueOf } from './common.js';
import type { TranscodeJobStatus } from './transcode-job.js';

/**
 * Condition types on a TranscodeJob. Admitted: False while the job waits (the reason says why), True
 * once it started. Completed: True once the job is terminal, the reason is the terminal phase.
 * Unschedulable: True while a task of the job has no live runner serving its type.
 */
export const JobCondition = names('Admitted', 'Completed', 'Unschedulable');
export type JobConditionType = ValueOf<typeof JobCondition>;

export const AdmittedReason = names('Admitted', 'ClientNotFound', 'ClientNotReady', 'ConcurrencyLimit');
export type AdmittedReason = ValueOf<typeof AdmittedReason>;

export const UnschedulableReason = names('NoRunnerForTaskType', 'RunnersAvailable', 'NoRunnerDeadlinePassed');

/** Reasons of Completed=True: the terminal phase itself. */
export type CompletedReason = Extract<NonNullable<TranscodeJobStatus['phase']>, 'Succeeded' | 'Failed' | 'Canceled'>;
