// The Completed condition, set in one place: by the status write, whenever a mutation moved the
// job from a non-terminal to a terminal phase (cancel before start, start failure, deadline,
// outcome, too-large status). Reason = the terminal phase, message = the status message.
import type { TranscodeJob, TranscodeJobStatus } from '../../lib/schema/transcode-job.js';
import { JobCondition } from '../../lib/schema/job-conditions.js';
import { setCondition } from '../runtime/conditions.js';
import { isJobTerminal } from './lifecycle.js';

export function markCompleted(job: TranscodeJob, before: TranscodeJobStatus, after: TranscodeJobStatus): void {
  if (isJobTerminal(before) || !isJobTerminal(after)) return;
  after.conditions = setCondition(
    after.conditions,
    { type: JobCondition.Completed, status: 'True', reason: after.phase!, message: after.message ?? '' },
    job.metadata.generation,
  );
}
