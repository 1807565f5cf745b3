// SWF recording settings, from the environment. Bad values fail at start-up naming the variable
// (lib/config/env.ts); operator/config.ts composes them into the operator's config.
import { bool, duration, int, ConfigError, type Env } from '../../lib/config/env.js';

export interface SwfConfig {
  enabled: boolean;
  domain: string;
  /** Retention of closed executions, days (SWF allows 0–90). */
  retentionDays: number;
  taskListPrefix: string;
  workflowType: { name: string; version: string };
  activityType: { name: string; version: string };
  validateActivityType: { name: string; version: string };
  /** Seconds, or 'NONE' where SWF allows it. */
  executionTimeout: string;
  decisionTimeout: string;
  activityTimeouts: { scheduleToStart: string; startToClose: string; scheduleToClose: string; heartbeat: string };
  /** Minimum interval between heartbeats of one activity. */
  heartbeatIntervalMs: number;
  /** Wait before re-polling when SWF had nothing for us (moto returns empty polls at once). */
  pollBackoffMs: number;
}

function timeout(env: Env, name: string, def: string, allowNone: boolean): string {
  const v = env[name] ?? def;
  if ((allowNone && v === 'NONE') || (/^\d+$/.test(v) && Number(v) > 0 && Number(v) <= 31_536_000)) return v;
  throw new ConfigError(name, `must be a number of seconds (1–31536000)${allowNone ? " or 'NONE'" : ''}, got ${JSON.stringify(v)}`);
}

function name(env: Env, variable: string, def: string): string {
  const v = env[variable] ?? def;
  // SWF names: 1–256 chars, no ':', '/', '|', control chars, nor the literal "arn".
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(v) || v.includes('arn'))
    throw new ConfigError(variable, `must be 1–200 chars of [A-Za-z0-9._-] without "arn", got ${JSON.stringify(v)}`);
  return v;
}

export function loadSwfConfig(env: Env = process.env): SwfConfig {
  return {
    enabled: bool(env, 'CT_SWF_ENABLED', true),
    domain: name(env, 'CT_SWF_DOMAIN', 'cloudtranscode'),
    retentionDays: int(env, 'CT_SWF_RETENTION_DAYS', 1, 0, 90),
    taskListPrefix: name(env, 'CT_SWF_TASK_LIST_PREFIX', 'ct'),
    workflowType: { name: name(env, 'CT_SWF_WORKFLOW_NAME', 'CloudTranscode'), version: name(env, 'CT_SWF_WORKFLOW_VERSION', 'v1') },
    activityType: { name: 'TranscodeAsset', version: name(env, 'CT_SWF_ACTIVITY_VERSION', 'v1') },
    validateActivityType: { name: 'ValidateInputAndAsset', version: name(env, 'CT_SWF_ACTIVITY_VERSION', 'v1') },
    executionTimeout: timeout(env, 'CT_SWF_EXECUTION_TIMEOUT', String(7 * 86400), false),
    decisionTimeout: timeout(env, 'CT_SWF_DECISION_TIMEOUT', '60', false),
    activityTimeouts: {
      scheduleToStart: timeout(env, 'CT_SWF_ACTIVITY_SCHEDULE_TO_START_TIMEOUT', 'NONE', true),
      startToClose: timeout(env, 'CT_SWF_ACTIVITY_START_TO_CLOSE_TIMEOUT', 'NONE', true),
      scheduleToClose: timeout(env, 'CT_SWF_ACTIVITY_SCHEDULE_TO_CLOSE_TIMEOUT', 'NONE', true),
      // The stall watchdog owns liveness (it re-queues silent tasks); an SWF heartbeat timeout would race it.
      heartbeat: timeout(env, 'CT_SWF_ACTIVITY_HEARTBEAT_TIMEOUT', 'NONE', true),
    },
    heartbeatIntervalMs: int(env, 'CT_SWF_HEARTBEAT_SECONDS', 10, 1, 3600) * 1000,
    pollBackoffMs: duration(env, 'CT_SWF_POLL_BACKOFF_MS', 1500, { unit: 'ms', min: 100, max: 600_000 }),
  };
}
