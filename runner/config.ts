// Runner configuration from three sources, highest first: command-line flags, CT_RUNNER_* environment
// variables, a config file (JSON or YAML). The same file keeps the runner token after registration.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Type, type Static } from '@sinclair/typebox';
import YAML from 'yaml';
import { ALL_JOB_TYPES, PEERTUBE_JOB_TYPES, isStandardJobType, type RunnerJobType } from '../lib/peertube/job-types.js';
import { validator } from '../lib/validate.js';
import { StringEnum } from '../lib/schema/common.js';

import { ConfigError } from '../lib/config/env.js';

export { ConfigError };

export const COMMANDS = ['server', 'register', 'unregister'] as const;
export type Command = (typeof COMMANDS)[number];

/** What the config file may hold (all optional; flags and env fill or override). */
export const RunnerConfigFile = Type.Object(
  {
    url: Type.Optional(Type.String({ pattern: '^https?://' })),
    registrationToken: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    runnerToken: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    description: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
    ffmpegThreads: Type.Optional(Type.Integer({ minimum: 0, maximum: 256 })),
    ffmpegNice: Type.Optional(Type.Integer({ minimum: 0, maximum: 19 })),
    jobTypes: Type.Optional(Type.Array(StringEnum([...ALL_JOB_TYPES]), { minItems: 1, uniqueItems: true })),
    workDir: Type.Optional(Type.String({ minLength: 1 })),
    /** Play an official PeerTube 6.3 runner: standard job types only, no jobTypes sent, payloads checked against PeerTube's field names. */
    peertubeStrict: Type.Optional(Type.Boolean()),
    /** Seconds between safety-net job requests (the socket normally wakes the runner first). */
    pollInterval: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** Seconds between progress updates of a running job (also the server's heartbeat). */
    updateInterval: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** Upper bound, in seconds, of the back-off while the server is unreachable. */
    maxBackoff: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** Seconds a finished job keeps retrying its result delivery while the server is unreachable or failing. */
    successRetry: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type RunnerConfigFile = Static<typeof RunnerConfigFile>;
const checkFile = validator(RunnerConfigFile, 'runner config');

export interface RunnerConfig {
  url: string;
  registrationToken?: string;
  runnerToken?: string;
  name: string;
  description?: string;
  concurrency: number;
  ffmpegThreads: number;
  ffmpegNice: number;
  jobTypes: RunnerJobType[];
  /** Strict PeerTube payload mode (runner/peertube-strict.ts). */
  peertubeStrict: boolean;
  workDir: string;
  configFile: string;
  pollIntervalMs: number;
  updateIntervalMs: number;
  maxBackoffMs: number;
  successRetryMs: number;
}

export const USAGE = `Usage: ct-runner [server|register|unregister] [options]

A PeerTube-protocol transcoding runner (fluent-ffmpeg).

Commands:
  server       (default) register if needed, then take and process jobs until SIGTERM/SIGINT
  register     register with the server, save the runner token in the config file, exit
  unregister   unregister from the server, remove the runner token from the config file, exit

Options (environment variable in brackets; config file key in parentheses):
  --config <file>              JSON or YAML config file, also stores the runner token [CT_RUNNER_CONFIG]
                               default: $XDG_CONFIG_HOME/ct-runner/config.yaml
  --url <url>                  server URL, e.g. https://transcode.example.com [CT_RUNNER_URL] (url)
  --registration-token <tok>   registration token [CT_RUNNER_REGISTRATION_TOKEN] (registrationToken)
  --name <name>                runner name, unique on the server (default: host name) [CT_RUNNER_NAME] (name)
  --description <text>         runner description [CT_RUNNER_DESCRIPTION] (description)
  --concurrency <n>            jobs processed at once, default 2 [CT_RUNNER_CONCURRENCY] (concurrency)
  --ffmpeg-threads <n>         ffmpeg -threads, 0 = let ffmpeg choose (default) [CT_RUNNER_FFMPEG_THREADS] (ffmpegThreads)
  --ffmpeg-nice <n>            niceness of ffmpeg, 0-19, default 0 [CT_RUNNER_FFMPEG_NICE] (ffmpegNice)
  --job-type <type>            a job type to accept; repeat for several; default: all
                               [CT_RUNNER_JOB_TYPES, comma separated] (jobTypes)
  --peertube-strict            behave as an official PeerTube 6.3 runner: standard job types only, requests
                               name no job types, payloads must use PeerTube's exact field names
                               [CT_RUNNER_PEERTUBE_STRICT=true] (peertubeStrict)
  --work-dir <dir>             scratch directory, emptied at start and after each job
                               [CT_RUNNER_WORK_DIR] (workDir)
  --poll-interval <sec>        safety-net job poll, default 15 [CT_RUNNER_POLL_INTERVAL] (pollInterval)
  --update-interval <sec>      progress update period, default 5 [CT_RUNNER_UPDATE_INTERVAL] (updateInterval)
  --max-backoff <sec>          back-off cap when the server is unreachable, default 30 [CT_RUNNER_MAX_BACKOFF] (maxBackoff)
  --success-retry <sec>        how long a finished job retries delivering its result (kept on disk) while
                               the server is unreachable or failing, default 600 [CT_RUNNER_SUCCESS_RETRY] (successRetry)
  -h, --help                   print this help

Job types: ${ALL_JOB_TYPES.join(', ')}
`;

export type ParsedArgs = { help: true } | { help: false; command: Command; config: RunnerConfig };

function defaultConfigFile(env: NodeJS.ProcessEnv): string {
  const base = env['XDG_CONFIG_HOME'] || join(homedir(), '.config');
  return join(base, 'ct-runner', 'config.yaml');
}

/** Reads a JSON or YAML config file; a missing file is an empty config (it is created on registration). */
export function readConfigFile(file: string): RunnerConfigFile {
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    parsed = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  const errors = checkFile.errors(parsed);
  if (errors.length) throw new ConfigError(`config file ${file} is invalid: ${errors.join('; ')}`);
  return parsed as RunnerConfigFile;
}

/** Sets (or with undefined removes) the runner token in the config file, keeping every other key and YAML comments. */
export function saveRunnerToken(file: string, runnerToken: string | undefined): void {
  mkdirSync(dirname(file), { recursive: true });
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  let out: string;
  if (file.endsWith('.json')) {
    const obj = (text.trim() ? JSON.parse(text) : {}) as Record<string, unknown>;
    if (runnerToken === undefined) delete obj['runnerToken'];
    else obj['runnerToken'] = runnerToken;
    out = JSON.stringify(obj, null, 2) + '\n';
  } else {
    // An empty file parses to a document without contents: start from an empty map.
    const doc = text.trim() ? YAML.parseDocument(text) : new YAML.Document({});
    if (runnerToken === undefined) doc.delete('runnerToken');
    else doc.set('runnerToken', runnerToken);
    out = doc.toString();
  }
  // Write-then-rename so a crash never leaves a half-written file; the token is a credential.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, out, { mode: 0o600 });
  renameSync(tmp, file);
}

function intOf(v: string | undefined, what: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v.trim())) throw new ConfigError(`${what} must be an integer, got "${v}"`);
  return Number(v);
}

function numOf(v: string | undefined, what: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ConfigError(`${what} must be a number, got "${v}"`);
  return n;
}

function boolOf(v: string | undefined, what: string): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ConfigError(`${what} must be true or false, got "${v}"`);
}

function listOf(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const items = (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length ? items : undefined;
}

function pick<T>(...values: (T | undefined)[]): T | undefined {
  return values.find((v) => v !== undefined);
}

type Flags = Record<string, string | boolean | string[] | undefined>;

/** Numeric settings: config file key, command-line flag, environment variable, integer or any number. */
const NUMERIC = [
  ['concurrency', 'concurrency', 'CT_RUNNER_CONCURRENCY', intOf],
  ['ffmpegThreads', 'ffmpeg-threads', 'CT_RUNNER_FFMPEG_THREADS', intOf],
  ['ffmpegNice', 'ffmpeg-nice', 'CT_RUNNER_FFMPEG_NICE', intOf],
  ['pollInterval', 'poll-interval', 'CT_RUNNER_POLL_INTERVAL', numOf],
  ['updateInterval', 'update-interval', 'CT_RUNNER_UPDATE_INTERVAL', numOf],
  ['maxBackoff', 'max-backoff', 'CT_RUNNER_MAX_BACKOFF', numOf],
  ['successRetry', 'success-retry', 'CT_RUNNER_SUCCESS_RETRY', numOf],
] as const;

/** Flag > environment > config file, for every numeric setting. */
function numericSettings(f: Flags, env: NodeJS.ProcessEnv, file: RunnerConfigFile): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {};
  for (const [key, flag, variable, parse] of NUMERIC)
    out[key] = pick(parse(f[flag] as string | undefined, `--${flag}`), parse(env[variable], variable), file[key]);
  return out;
}

/** Flags > environment > config file > defaults; every value checked with the config file's schema. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        config: { type: 'string' },
        url: { type: 'string' },
        'registration-token': { type: 'string' },
        name: { type: 'string' },
        description: { type: 'string' },
        'job-type': { type: 'string', multiple: true },
        'peertube-strict': { type: 'boolean' },
        'work-dir': { type: 'string' },
        ...Object.fromEntries(NUMERIC.map(([, flag]) => [flag, { type: 'string' as const }])),
      },
    });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n\n${USAGE}`);
  }
  const { values: f, positionals } = parsed;
  if (f.help) return { help: true };
  if (positionals.length > 1) throw new ConfigError(`unexpected arguments: ${positionals.slice(1).join(' ')}`);
  const command = (positionals[0] ?? 'server') as Command;
  if (!COMMANDS.includes(command)) throw new ConfigError(`unknown command "${command}" (expected one of ${COMMANDS.join(', ')})`);

  const configFile = resolve(f.config ?? env['CT_RUNNER_CONFIG'] ?? defaultConfigFile(env));
  const file = readConfigFile(configFile);

  const merged: Record<string, unknown> = {
    url: pick(f.url, env['CT_RUNNER_URL'], file.url),
    registrationToken: pick(f['registration-token'], env['CT_RUNNER_REGISTRATION_TOKEN'], file.registrationToken),
    runnerToken: file.runnerToken,
    name: pick(f.name, env['CT_RUNNER_NAME'], file.name),
    description: pick(f.description, env['CT_RUNNER_DESCRIPTION'], file.description),
    ...numericSettings(f, env, file),
    jobTypes: pick(listOf(f['job-type']), listOf(env['CT_RUNNER_JOB_TYPES']), file.jobTypes),
    workDir: pick(f['work-dir'], env['CT_RUNNER_WORK_DIR'], file.workDir),
    peertubeStrict: pick(f['peertube-strict'], boolOf(env['CT_RUNNER_PEERTUBE_STRICT'], 'CT_RUNNER_PEERTUBE_STRICT'), file.peertubeStrict),
  };
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  const errors = checkFile.errors(merged);
  if (errors.length) throw new ConfigError(`invalid configuration: ${errors.join('; ')}`);
  const c = merged as RunnerConfigFile;
  if (!c.url) throw new ConfigError('the server URL is required (--url, CT_RUNNER_URL or "url" in the config file)');

  const strict = c.peertubeStrict ?? false;
  const nonStandard = (c.jobTypes ?? []).filter((t) => !isStandardJobType(t));
  if (strict && nonStandard.length)
    throw new ConfigError(`--peertube-strict allows only the standard PeerTube job types; not: ${nonStandard.join(', ')}`);
  const name = c.name ?? hostname();
  const workDir = resolve(c.workDir ?? join(tmpdir(), 'ct-runner', name.replace(/[^A-Za-z0-9._-]/g, '_')));
  // The work dir is emptied at start: refuse directories whose loss would hurt.
  if (workDir === '/' || workDir === resolve(homedir()) || workDir === resolve(tmpdir())) {
    throw new ConfigError(`work directory ${workDir} is not allowed (it is emptied at start): use a dedicated directory`);
  }
  return {
    help: false,
    command,
    config: {
      url: c.url.replace(/\/+$/, ''),
      ...(c.registrationToken !== undefined ? { registrationToken: c.registrationToken } : {}),
      ...(c.runnerToken !== undefined ? { runnerToken: c.runnerToken } : {}),
      name,
      ...(c.description !== undefined ? { description: c.description } : {}),
      concurrency: c.concurrency ?? 2,
      ffmpegThreads: c.ffmpegThreads ?? 0,
      ffmpegNice: c.ffmpegNice ?? 0,
      jobTypes: c.jobTypes ?? (strict ? [...PEERTUBE_JOB_TYPES] : [...ALL_JOB_TYPES]),
      peertubeStrict: strict,
      workDir,
      configFile,
      pollIntervalMs: Math.round((c.pollInterval ?? 15) * 1000),
      updateIntervalMs: Math.round((c.updateInterval ?? 5) * 1000),
      maxBackoffMs: Math.round((c.maxBackoff ?? 30) * 1000),
      successRetryMs: Math.round((c.successRetry ?? 600) * 1000),
    },
  };
}
