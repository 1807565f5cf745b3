// The operator's whole configuration, from the environment (the Helm chart sets these), loaded once
// in operator/main.ts and passed down: the runtime and client settings below, the SQS settings
// (operator/sqs/config.ts), the SWF settings (operator/swf/config.ts) and the job lifecycle settings
// (jobSettingsFromEnv). Every variable is listed in operator/README.md. Bad values fail at start-up
// with a ConfigError naming the variable (lib/config/env.ts) and exit code 2.
import { hostname } from 'node:os';
import { awsSettingsFromEnv, type AwsSettings } from '../lib/aws/config.js';
import { bool, duration, int, list, oneOf, str, type Env } from '../lib/config/env.js';
import { ENCODING_POLICIES, PRINCIPAL_PATTERN } from '../lib/schema/transcode-client.js';
import type { SchedulingConfig } from './job/scheduling.js';
import { segmentPolicyFromEnv } from './job/outputs/segments.js';
import { sqsConfigFromEnv, type SqsConfig } from './sqs/config.js';
import { loadSwfConfig, type SwfConfig } from './swf/config.js';
import { retentionSettingsFromEnv, type RetentionSettings } from './retention/settings.js';

/** Settings of the TranscodeJob controller (operator/job). */
export interface JobSettings {
  /** Stall watchdog threshold (CT_STALL_SECONDS, default 180 s: 3× the official runner's 60 s update interval). */
  stallMs: number;
  /** Parallel job reconciles (CT_JOB_CONCURRENCY): probes and SWF calls are mostly waiting. */
  concurrency: number;
  /** Last-resort limits (operator/job/sweeper.ts). */
  sweep: { jobDeadlineMs: number; maxTimeouts: number };
  /** Encoding policy and runner availability (operator/job/scheduling.ts, docs/official-runners.md). */
  scheduling: SchedulingConfig;
}

export interface OperatorConfig {
  /** Namespace to watch; '' = all namespaces. */
  namespace: string;
  /** This replica's identity in the leader lease. */
  identity: string;
  leaderElection: {
    enabled: boolean;
    namespace: string;
    name: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  http: { port: number; host: string };
  aws: AwsSettings;
  /** Prefix of managed queue names (a client's spec.queues.prefix overrides it). */
  queuePrefix: string;
  /** Prefix of managed bucket names. */
  bucketPrefix: string;
  /** The stack's own AWS principal, granted the stack side of every queue/bucket policy. */
  stackPrincipal: string;
  /** Full re-list period of the informers. */
  resyncMs: number;
  /** How often a Ready client's AWS resources are re-verified (drift, deleted queues). */
  driftCheckMs: number;
  /** How often a not-Ready client is re-checked (e.g. an adopted queue that does not exist yet). */
  notReadyRecheckMs: number;
  /** Cleanup attempts on delete before the finalizer is removed anyway (leaving an Event). */
  cleanupMaxAttempts: number;
  /** Controllers/runnables (by name) not to run on this replica, e.g. for debugging or split deployments. */
  disabled: string[];
  /** Reconciles of clients in parallel. */
  clientConcurrency: number;
  sqs: SqsConfig;
  swf: SwfConfig;
  job: JobSettings;
  /** Deletion of finished jobs after their TTL (operator/retention/). */
  retention: RetentionSettings;
}

export function loadConfig(env: Env = process.env): OperatorConfig {
  const leaseDurationMs = int(env, 'CT_LEASE_DURATION_MS', int(env, 'CT_LEASE_DURATION', 15, 1, 3600) * 1000, 1000, 3_600_000);
  const renewDeadlineMs = int(env, 'CT_LEASE_RENEW_DEADLINE_MS', Math.floor(leaseDurationMs * (2 / 3)), 500, leaseDurationMs - 1);
  const retryPeriodMs = int(env, 'CT_LEASE_RETRY_PERIOD_MS', Math.max(200, Math.floor(leaseDurationMs / 5)), 100, renewDeadlineMs - 1);
  const identity = env['CT_OPERATOR_ID'] || env['POD_NAME'] || `${hostname()}-${process.pid}`;
  const namespace = str(env, 'CT_NAMESPACE', '', {
    pattern: /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/,
    what: 'a namespace name or empty (all namespaces)',
  });
  return {
    namespace,
    identity,
    leaderElection: {
      enabled: bool(env, 'CT_LEADER_ELECTION', true),
      namespace: str(env, 'CT_LEASE_NAMESPACE', env['POD_NAMESPACE'] || namespace || 'default', {
        pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
        what: 'a namespace name',
      }),
      name: str(env, 'CT_LEASE_NAME', 'cloudtranscode-operator', { pattern: /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, what: 'a Lease name' }),
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
    },
    http: { port: int(env, 'CT_HTTP_PORT', 8081, 0, 65535), host: env['CT_HTTP_HOST'] ?? '0.0.0.0' },
    aws: awsSettingsFromEnv(env),
    queuePrefix: str(env, 'CT_QUEUE_PREFIX', env['CT_RESOURCE_PREFIX'] ?? 'ct-', {
      pattern: /^[A-Za-z0-9_-]{0,40}$/,
      what: 'up to 40 chars of [A-Za-z0-9_-]',
    }),
    bucketPrefix: str(env, 'CT_BUCKET_PREFIX', (env['CT_RESOURCE_PREFIX'] ?? 'ct-').toLowerCase(), {
      pattern: /^[a-z0-9][a-z0-9-]{0,29}$|^$/,
      what: 'up to 30 chars of [a-z0-9-], starting with a letter or digit',
    }),
    stackPrincipal: str(env, 'CT_STACK_PRINCIPAL', 'arn:aws:iam::123456789012:root', {
      pattern: new RegExp(PRINCIPAL_PATTERN),
      what: 'an AWS account id or IAM ARN',
    }),
    resyncMs: int(env, 'CT_RESYNC_SECONDS', 300, 5, 86400) * 1000,
    driftCheckMs: int(env, 'CT_DRIFT_CHECK_SECONDS', 1800, 1, 86400) * 1000,
    notReadyRecheckMs: int(env, 'CT_NOT_READY_RECHECK_SECONDS', 30, 1, 3600) * 1000,
    cleanupMaxAttempts: int(env, 'CT_CLEANUP_MAX_ATTEMPTS', 5, 1, 100),
    disabled: list(env, 'CT_DISABLE'),
    clientConcurrency: int(env, 'CT_CLIENT_CONCURRENCY', 8, 1, 256),
    sqs: sqsConfigFromEnv(env),
    swf: loadSwfConfig(env),
    job: jobSettingsFromEnv(env),
    retention: retentionSettingsFromEnv(env),
  };
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
      segments: segmentPolicyFromEnv(env),
    },
  };
}
