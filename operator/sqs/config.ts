// Settings of the SQS listener and output publisher, from the environment. Bad values fail at
// start-up with a message naming the variable (lib/config/env.ts); operator/config.ts composes them.
import { bool, int, type Env } from '../../lib/config/env.js';

export interface SqsConfig {
  /** Run the listener and the publisher at all. */
  enabled: boolean;
  /** Concurrent long polls at most (one per Ready client while there are fewer clients than this). */
  pollers: number;
  /** Long-poll wait (SQS maximum 20 s). */
  waitSeconds: number;
  /** Messages per ReceiveMessage (SQS maximum 10). */
  batchSize: number;
  /** Visibility timeout of a received message while we handle it. */
  visibilitySeconds: number;
  /** A message whose handling failed becomes visible again after base·2^(receives-1) s (capped at 15 min). */
  retryBaseSeconds: number;
  /** How often the set of Ready clients is re-read from the cache. */
  clientRefreshMs: number;
  /** At most one ACTIVITY_PROGRESS per task per this interval. */
  progressIntervalMs: number;
  /** Wait for the job's SWF execution (status.workflow.runId) before JOB_STARTED (false when SWF recording is off). */
  requireWorkflow: boolean;
  /** Parallel publisher reconciles. */
  publisherConcurrency: number;
  /** Test-only fault injection: 'exit-after-create' kills the process between creating a job and deleting its message. */
  fault: string;
}

export function sqsConfigFromEnv(env: Env = process.env): SqsConfig {
  return {
    enabled: bool(env, 'CT_SQS_ENABLED', true),
    pollers: int(env, 'CT_SQS_POLLERS', 100, 1, 5000),
    waitSeconds: int(env, 'CT_SQS_WAIT_SECONDS', 20, 1, 20),
    batchSize: int(env, 'CT_SQS_BATCH_SIZE', 10, 1, 10),
    visibilitySeconds: int(env, 'CT_SQS_VISIBILITY_SECONDS', 60, 1, 43200),
    retryBaseSeconds: int(env, 'CT_SQS_RETRY_BASE_SECONDS', 5, 0, 900),
    clientRefreshMs: int(env, 'CT_SQS_CLIENT_REFRESH_MS', 1000, 100, 600_000),
    progressIntervalMs: int(env, 'CT_PROGRESS_INTERVAL_MS', 5000, 0, 600_000),
    requireWorkflow: bool(env, 'CT_SWF_ENABLED', true),
    publisherConcurrency: int(env, 'CT_SQS_PUBLISHER_CONCURRENCY', 8, 1, 256),
    fault: env['CT_FAULT'] ?? '',
  };
}
