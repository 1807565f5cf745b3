// Settings of job retention (operator/retention/), from the environment; bad values exit 2 naming the
// variable (lib/config/env.ts). Listed in operator/README.md.
import { duration, int, type Env } from '../../lib/config/env.js';
import { MAX_JOB_TTL_SECONDS } from '../../lib/schema/transcode-client.js';

export interface RetentionSettings {
  /** CT_JOB_TTL_SECONDS: how long a finished job is kept when its client sets no spec.jobRetention. */
  defaultTtlMs: number;
  /**
   * CT_JOB_RECORD_SETTLE_SECONDS: the job record must be this old before the job is deleted, so a
   * START_JOB that looked for the record just before it was written finds the job still there.
   */
  settleMs: number;
  /** CT_RETENTION_CONCURRENCY: parallel retention reconciles. */
  concurrency: number;
}

export function retentionSettingsFromEnv(env: Env = process.env): RetentionSettings {
  return {
    defaultTtlMs: duration(env, 'CT_JOB_TTL_SECONDS', 7 * 86_400, { unit: 's', min: 0, max: MAX_JOB_TTL_SECONDS }),
    settleMs: duration(env, 'CT_JOB_RECORD_SETTLE_SECONDS', 5, { unit: 's', min: 0, max: 3600 }),
    concurrency: int(env, 'CT_RETENTION_CONCURRENCY', 4, 1, 256),
  };
}
