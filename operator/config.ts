// Operator configuration, from the environment (the Helm chart sets these). Bad values fail at start-up
// with a message naming the variable. Job lifecycle settings are read by operator/job: CT_STALL_SECONDS,
// CT_JOB_CONCURRENCY (controller.ts); CT_ENCODING_POLICY, CT_NO_RUNNER_TIMEOUT_SECONDS,
// CT_NO_RUNNER_GRACE_SECONDS, CT_RUNNER_LIVE_SECONDS (scheduling.ts, docs/official-runners.md).
import { hostname } from 'node:os';
import { awsSettingsFromEnv, type AwsSettings } from '../lib/aws/config.js';
import { PRINCIPAL_PATTERN } from '../lib/schema/transcode-client.js';

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
}

class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`invalid operator configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(name, `must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

function bool(env: NodeJS.ProcessEnv, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got ${JSON.stringify(raw)}`);
}

function str(env: NodeJS.ProcessEnv, name: string, def: string, pattern?: RegExp, what?: string): string {
  const v = env[name] ?? def;
  if (pattern && !pattern.test(v)) throw new ConfigError(name, `must be ${what ?? `matching ${pattern}`}, got ${JSON.stringify(v)}`);
  return v;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const leaseDurationMs = int(env, 'CT_LEASE_DURATION_MS', int(env, 'CT_LEASE_DURATION', 15, 1, 3600) * 1000, 1000, 3_600_000);
  const renewDeadlineMs = int(env, 'CT_LEASE_RENEW_DEADLINE_MS', Math.floor(leaseDurationMs * (2 / 3)), 500, leaseDurationMs - 1);
  const retryPeriodMs = int(env, 'CT_LEASE_RETRY_PERIOD_MS', Math.max(200, Math.floor(leaseDurationMs / 5)), 100, renewDeadlineMs - 1);
  const identity = env['CT_OPERATOR_ID'] || env['POD_NAME'] || `${hostname()}-${process.pid}`;
  const namespace = str(env, 'CT_NAMESPACE', '', /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/, 'a namespace name or empty (all namespaces)');
  return {
    namespace,
    identity,
    leaderElection: {
      enabled: bool(env, 'CT_LEADER_ELECTION', true),
      namespace: str(
        env,
        'CT_LEASE_NAMESPACE',
        env['POD_NAMESPACE'] || namespace || 'default',
        /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
        'a namespace name',
      ),
      name: str(env, 'CT_LEASE_NAME', 'cloudtranscode-operator', /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a Lease name'),
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
    },
    http: { port: int(env, 'CT_HTTP_PORT', 8081, 0, 65535), host: env['CT_HTTP_HOST'] ?? '0.0.0.0' },
    aws: awsSettingsFromEnv(env),
    queuePrefix: str(
      env,
      'CT_QUEUE_PREFIX',
      env['CT_RESOURCE_PREFIX'] ?? 'ct-',
      /^[A-Za-z0-9_-]{0,40}$/,
      'up to 40 chars of [A-Za-z0-9_-]',
    ),
    bucketPrefix: str(
      env,
      'CT_BUCKET_PREFIX',
      (env['CT_RESOURCE_PREFIX'] ?? 'ct-').toLowerCase(),
      /^[a-z0-9][a-z0-9-]{0,29}$|^$/,
      'up to 30 chars of [a-z0-9-], starting with a letter or digit',
    ),
    stackPrincipal: str(
      env,
      'CT_STACK_PRINCIPAL',
      'arn:aws:iam::123456789012:root',
      new RegExp(PRINCIPAL_PATTERN),
      'an AWS account id or IAM ARN',
    ),
    resyncMs: int(env, 'CT_RESYNC_SECONDS', 300, 5, 86400) * 1000,
    driftCheckMs: int(env, 'CT_DRIFT_CHECK_SECONDS', 1800, 1, 86400) * 1000,
    notReadyRecheckMs: int(env, 'CT_NOT_READY_RECHECK_SECONDS', 30, 1, 3600) * 1000,
    cleanupMaxAttempts: int(env, 'CT_CLEANUP_MAX_ATTEMPTS', 5, 1, 100),
    disabled: (env['CT_DISABLE'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    clientConcurrency: int(env, 'CT_CLIENT_CONCURRENCY', 8, 1, 256),
  };
}
