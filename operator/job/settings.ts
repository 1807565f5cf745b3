// Settings of the TranscodeJob controller, read once from the environment by operator/config.ts
// (loadConfig, in operator/main.ts) with the shared readers of lib/config/env.ts and passed down
// (operator/job/index.ts). Every variable is in operator/README.md's Jobs table.
import { duration, int, oneOf, type Env } from '../../lib/config/env.js';
import { ENCODING_POLICIES } from '../../lib/schema/transcode-client.js';
import type { SchedulingConfig } from './scheduling.js';

/** Last-resort limits (operator/job/sweeper.ts). */
export interface SweepLimits {
  jobDeadlineMs: number;
  maxTimeouts: number;
}

export interface JobSettings {
  /** Stall watchdog threshold (CT_STALL_SECONDS, default 180 s: 3× the official runner's 60 s update interval). */
  stallMs: number;
  /** Parallel job reconciles (CT_JOB_CONCURRENCY): probes and SWF calls are mostly waiting. */
  concurrency: number;
  /** Last-resort limits (operator/job/sweeper.ts). */
  sweep: SweepLimits;
  /** Encoding policy and runner availability (operator/job/scheduling.ts, docs/official-runners.md). */
  scheduling: SchedulingConfig;
}

export function jobSettingsFromEnv(env: Env = process.env): JobSettings {
  return {
    stallMs: duration(env, 'CT_STALL_SECONDS', 180, { unit: 's', min: 0, exclusiveMin: true, max: 86400 }),
    concurrency: int(env, 'CT_JOB_CONCURRENCY', 4, 1, 256),
    sweep: {
      jobDeadlineMs: duration(env, 'CT_JOB_DEADLINE_SECONDS', 86_400, { unit: 's', min: 0, exclusiveMin: true, max: 30 * 86_400 }),
      maxTimeouts: int(env, 'CT_TASK_MAX_TIMEOUTS', 10, 1, 1000),
    },
    scheduling: {
      encodingPolicy: oneOf(env, 'CT_ENCODING_POLICY', ENCODING_POLICIES, 'auto'),
      noRunnerTimeoutMs: duration(env, 'CT_NO_RUNNER_TIMEOUT_SECONDS', 900, { unit: 's', min: 1, max: 604800 }),
      graceMs: duration(env, 'CT_NO_RUNNER_GRACE_SECONDS', 3, { unit: 's', min: 0, max: 3600 }),
      runnerLiveMs: duration(env, 'CT_RUNNER_LIVE_SECONDS', 300, { unit: 's', min: 1, max: 86400 }),
    },
  };
}

/**
 * The fallback of operator/job/controller.ts when it is built without `stallMs` (index.ts always
 * passes it): the same reader, not a parser of its own. Goes once controller.ts makes it required.
 */
export function stallMsFromEnv(env: Env = process.env): number {
  return jobSettingsFromEnv(env).stallMs;
}
