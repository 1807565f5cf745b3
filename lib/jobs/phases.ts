// Which TranscodeJob phases (and output statuses, which share the names) are final: one answer for
// the operator, the CT reports and the api-server.
import type { JOB_PHASES } from '../schema/transcode-job.js';

type JobPhase = (typeof JOB_PHASES)[number];

export const TERMINAL_PHASES: ReadonlySet<string> = new Set<JobPhase>(['Succeeded', 'Failed', 'Canceled']);

/** Succeeded, Failed or Canceled (a job's phase or an output's status); nothing changes it afterwards. */
export function isTerminalPhase(phase: string | undefined): boolean {
  return TERMINAL_PHASES.has(phase ?? '');
}
