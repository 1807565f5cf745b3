// lib/config/env.ts and the composed configs built on it: every bad value is a ConfigError naming
// the variable, for every component (operator incl. SQS/SWF/job settings, api-server, runner), and
// every component's entry point exits with the one CONFIG_EXIT_CODE on it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_EXIT_CODE, ConfigError, bool, duration, httpUrl, int, list, oneOf, str } from '../../../lib/config/env.js';
import { loadConfig as operatorConfig } from '../../../operator/config.js';
import { loadConfig as apiServerConfig } from '../../../api-server/config.js';
import { loadConfig as runnerConfig } from '../../../runner/config.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

test('parsers: defaults when unset or empty, values when valid', () => {
  expect(int({}, 'X', 7, 1, 9)).toBe(7);
  expect(int({ X: '' }, 'X', 7, 1, 9)).toBe(7);
  expect(int({ X: '9' }, 'X', 7, 1, 9)).toBe(9);
  expect(duration({ X: '1.5' }, 'X', 3, { unit: 's', min: 0, max: 10 })).toBe(1500);
  expect(duration({}, 'X', 3, { unit: 's', min: 0, max: 10 })).toBe(3000);
  expect(duration({ X: '250' }, 'X', 100, { unit: 'ms', min: 100, max: 1000 })).toBe(250);
  expect(bool({ X: '0' }, 'X', true)).toBe(false);
  expect(bool({ X: 'true' }, 'X', false)).toBe(true);
  expect(oneOf({ X: 'b' }, 'X', ['a', 'b'] as const, 'a')).toBe('b');
  expect(str({ X: '' }, 'X', 'd')).toBe('');
  expect(str({ X: '' }, 'X', 'd', { pattern: /^d$/, what: 'd', emptyIsDefault: true })).toBe('d');
  expect(httpUrl({ X: 'https://a.example/p/' }, 'X', 'http://x')).toBe('https://a.example/p');
  expect(list({ X: ' a, ,b ' }, 'X')).toEqual(['a', 'b']);
});

test.each([
  ['an integer out of range', () => int({ CT_N: '10' }, 'CT_N', 1, 1, 9), /^CT_N must be an integer between 1 and 9, got "10"$/],
  ['a non-integer', () => int({ CT_N: '1.5' }, 'CT_N', 1, 1, 9), /^CT_N must be an integer/],
  [
    'a duration not a number',
    () => duration({ CT_D: 'soon' }, 'CT_D', 1, { unit: 's', min: 0, max: 9 }),
    /^CT_D must be a number of seconds/,
  ],
  [
    'a duration at an exclusive minimum',
    () => duration({ CT_D: '0' }, 'CT_D', 1, { unit: 's', min: 0, exclusiveMin: true, max: 9 }),
    /^CT_D must be a number of seconds greater than 0/,
  ],
  [
    'fractional milliseconds',
    () => duration({ CT_D: '1.5' }, 'CT_D', 1, { unit: 'ms', min: 0, max: 9 }),
    /^CT_D must be a number of milliseconds/,
  ],
  ['a bool', () => bool({ CT_B: 'yes' }, 'CT_B', true), /^CT_B must be true or false, got "yes"$/],
  ['an enum', () => oneOf({ CT_E: 'c' }, 'CT_E', ['a', 'b'] as const, 'a'), /^CT_E must be one of a, b, got "c"$/],
  ['a pattern', () => str({ CT_S: 'A' }, 'CT_S', 'a', { pattern: /^[a-z]$/, what: 'one letter' }), /^CT_S must be one letter, got "A"$/],
  ['a relative URL', () => httpUrl({ CT_U: 'nope' }, 'CT_U', 'http://x'), /^CT_U must be an absolute http\(s\) URL/],
  ['a non-http URL', () => httpUrl({ CT_U: 'ftp://x' }, 'CT_U', 'http://x'), /^CT_U must start with http/],
  ['a URL with a query', () => httpUrl({ CT_U: 'http://x/?a=1' }, 'CT_U', 'http://x'), /^CT_U must not have a query/],
])('parsers: %s is a ConfigError naming the variable', (_what, fn, message) => {
  const err = configError(fn);
  expect(err.message).toMatch(message);
  expect(err.variable).toBe(err.message.split(' ')[0]);
});

test('operator: one composed config with SQS, SWF and job settings', () => {
  const c = operatorConfig({
    CT_SQS_POLLERS: '7',
    CT_SWF_DOMAIN: 'prod',
    CT_STALL_SECONDS: '3',
    CT_ENCODING_POLICY: 'exact',
    CT_SEGMENT_THRESHOLD_SECONDS: '600',
  });
  expect(c.sqs.pollers).toBe(7);
  expect(c.swf.domain).toBe('prod');
  expect(c.job).toEqual({
    stallMs: 3000,
    concurrency: 4,
    sweep: { jobDeadlineMs: 86_400_000, maxTimeouts: 10 },
    scheduling: {
      encodingPolicy: 'exact',
      noRunnerTimeoutMs: 900_000,
      graceMs: 3000,
      runnerLiveMs: 300_000,
      segments: { thresholdSec: 600, targetSec: 30, maxSegments: 16, gopSec: 2, marginSec: 1 },
    },
  });
});

test.each([
  ['CT_HTTP_PORT', 'x'],
  ['CT_LEADER_ELECTION', 'maybe'],
  ['CT_QUEUE_PREFIX', 'a b'],
  ['CT_SQS_POLLERS', '0'],
  ['CT_SEGMENT_MAX', '1'],
  ['CT_SQS_ENABLED', 'perhaps'],
  ['CT_SWF_ENABLED', 'maybe'],
  ['CT_SWF_DECISION_TIMEOUT', 'NONE'],
  ['CT_STALL_SECONDS', '0'],
  ['CT_JOB_CONCURRENCY', '0'],
  ['CT_JOB_DEADLINE_SECONDS', 'x'],
  ['CT_TASK_MAX_TIMEOUTS', '1.5'],
  ['CT_ENCODING_POLICY', 'fast'],
  ['CT_NO_RUNNER_TIMEOUT_SECONDS', '0'],
  ['CT_JOB_TTL_SECONDS', '-1'],
  ['CT_JOB_RECORD_SETTLE_SECONDS', 'soon'],
])('operator: bad %s=%s is a ConfigError naming it', (variable, value) => {
  const err = configError(() => operatorConfig({ [variable]: value }));
  expect(err.variable).toBe(variable);
  expect(err.message).toContain(JSON.stringify(value));
});

test.each([
  ['CT_PUBLIC_URL', 'ftp://x'],
  ['CT_HTTP_PORT', '70000'],
  ['CT_DOWNLOAD_MODE', 'proxy'],
  ['CT_ADMIN_TOKEN', 'short'],
  ['CT_VIDEO_THUMB_SIZE', 'big'],
  ['CT_SHUTDOWN_GRACE_MS', '-1'],
])('api-server: bad %s=%s is a ConfigError naming it', (variable, value) => {
  expect(configError(() => apiServerConfig({ [variable]: value })).variable).toBe(variable);
});

test('runner: bad settings are the same ConfigError', () => {
  const home = mkdtempSync(join(tmpdir(), 'ct-env-'));
  const env = { XDG_CONFIG_HOME: home, CT_RUNNER_URL: 'http://x' };
  expect(configError(() => runnerConfig([], { ...env, CT_RUNNER_CONCURRENCY: 'two' })).message).toMatch(
    /CT_RUNNER_CONCURRENCY must be an integer/,
  );
  expect(configError(() => runnerConfig(['--poll-interval', 'x'], env)).message).toMatch(/--poll-interval must be a number/);
  expect(runnerConfig(['--max-backoff', '2'], { ...env, CT_RUNNER_CONCURRENCY: '3' })).toMatchObject({
    config: { concurrency: 3, maxBackoffMs: 2000 },
  });
});

test.each([
  ['operator', 'dist/operator/main.js', [], { CT_SQS_POLLERS: 'many' }, 'CT_SQS_POLLERS'],
  ['operator', 'dist/operator/main.js', [], { CT_STALL_SECONDS: 'never' }, 'CT_STALL_SECONDS'],
  ['api-server', 'dist/api-server/main.js', [], { CT_HTTP_PORT: 'x' }, 'CT_HTTP_PORT'],
  ['runner', 'dist/runner/main.js', ['--url', 'http://x'], { CT_RUNNER_CONCURRENCY: 'x' }, 'CT_RUNNER_CONCURRENCY'],
])('%s exits with CONFIG_EXIT_CODE on bad config and names the variable', (_c, script, args, env, variable) => {
  const home = mkdtempSync(join(tmpdir(), 'ct-env-'));
  const r = spawnSync(process.execPath, [script, ...args], {
    env: { PATH: process.env['PATH'], XDG_CONFIG_HOME: home, KUBECONFIG: join(home, 'none'), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status).toBe(CONFIG_EXIT_CODE);
  expect(r.stdout + r.stderr).toContain(variable);
});
