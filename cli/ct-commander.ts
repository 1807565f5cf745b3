#!/usr/bin/env node
// ct-commander: sends one CT command to a client's input queue (CT's ClientCommander).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError, CLIENT_LOOKUP_HELP, CLIENT_LOOKUP_OPTIONS, clientFor, runTool } from './common.js';
import { newJobId, type CommandType, type JobDescription, type OutputSpec } from '../sdk/index.js';

const HELP = `Usage: ct-commander <command> [options]

Sends one Cloud Transcode command to a client's SQS input queue and prints
{"type", "job_id", "messageId"} as JSON. Replies arrive on the output queue (see ct-poller).

Commands (CT name or short alias):
  START_JOB            start            job data from --data FILE|- or from --input-*/--output flags
  CANCEL_JOB           cancel           --job-id
  GET_JOB_STATUS       status           --job-id
  GET_JOB_LIST         list             [--phase P]... [--limit N] [--next-token T]
  CANCEL_ACTIVITY      cancel-activity  --job-id --activity-id
  GET_ACTIVITY_LIST    activities       --job-id
  GET_ACTIVITY_STATUS  activity         --job-id --activity-id

Options:
  --job-id ID          client job id (START_JOB default: 32 random hex chars)
  --data FILE|-        JSON file (or stdin) with the command's data (START_JOB: the job description)
  --input-type T       START_JOB from flags: VIDEO (default) or AUDIO
  --input-bucket B     START_JOB from flags: source bucket
  --input-file K       START_JOB from flags: source key
  --output SPEC        START_JOB from flags, repeatable: comma-separated key=value with
                       type (VIDEO|THUMB|AUDIO|HLS), bucket, file and any output field, e.g.
                       type=VIDEO,bucket=out,file=/a/sd.mp4,preset=480p-16.9-generic,keep_ratio=false
                       type=THUMB,bucket=out,file=/a/t.jpg,size=320x180,snapshot_sec=2
                       type=HLS,bucket=out,file=/a/master.m3u8,resolutions=720+360
  --activity-id ID     activity (task uuid) for the activity commands
  --phase P            GET_JOB_LIST filter (Pending, Probing, Running, Succeeded, Failed, Canceled)
  --limit N            GET_JOB_LIST page size (1-1000, default 100)
  --next-token T       GET_JOB_LIST next page
  --raw FILE|-         send this body as is (no validation), command argument not needed
  --no-validate        do not validate locally before sending
  --input-queue URL    input queue URL (default: $CT_INPUT_QUEUE_URL)
${CLIENT_LOOKUP_HELP}`;

const ALIASES: Record<string, CommandType> = {
  start: 'START_JOB',
  cancel: 'CANCEL_JOB',
  status: 'GET_JOB_STATUS',
  list: 'GET_JOB_LIST',
  'cancel-activity': 'CANCEL_ACTIVITY',
  activities: 'GET_ACTIVITY_LIST',
  activity: 'GET_ACTIVITY_STATUS',
};
const COMMANDS = new Set<string>(Object.values(ALIASES));

function readJson(pathOrDash: string, what: string): unknown {
  const text = readFileSync(pathOrDash === '-' ? 0 : pathOrDash, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`${what} ${pathOrDash} is not valid JSON: ${(err as Error).message}`);
  }
}

const INT_FIELDS = new Set(['snapshot_sec', 'intervals']);
const NUM_FIELDS = new Set(['frame_rate']);
const BOOL_FIELDS = new Set(['s3_rrs', 's3_encrypt', 'keep_ratio', 'no_enlarge']);
const RENAMES: Record<string, string> = { type: 'output_type', bucket: 'output_bucket', file: 'output_file' };

/** `type=VIDEO,bucket=b,file=k,preset=p` → an output entry (the server-side schema does the checking). */
function parseOutputSpec(spec: string): OutputSpec {
  const out: Record<string, unknown> = {};
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`--output ${JSON.stringify(spec)}: "${part}" is not key=value`);
    const rawKey = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    const key = RENAMES[rawKey] ?? rawKey;
    if (INT_FIELDS.has(key) || NUM_FIELDS.has(key)) {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new UsageError(`--output: ${rawKey} must be a number, got ${JSON.stringify(value)}`);
      out[key] = n;
    } else if (BOOL_FIELDS.has(key)) {
      if (value !== 'true' && value !== 'false') throw new UsageError(`--output: ${rawKey} must be true or false`);
      out[key] = value === 'true';
    } else if (key === 'resolutions') {
      out[key] = value.split(/[+;]/).map((v) => Number(v));
    } else {
      out[key] = value;
    }
  }
  return out as OutputSpec;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'job-id': { type: 'string' },
      data: { type: 'string' },
      'input-type': { type: 'string' },
      'input-bucket': { type: 'string' },
      'input-file': { type: 'string' },
      output: { type: 'string', multiple: true },
      'activity-id': { type: 'string' },
      phase: { type: 'string', multiple: true },
      limit: { type: 'string' },
      'next-token': { type: 'string' },
      raw: { type: 'string' },
      'no-validate': { type: 'boolean' },
      'input-queue': { type: 'string' },
      ...CLIENT_LOOKUP_OPTIONS,
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const ct = await clientFor('input', { ...values, queueUrl: values['input-queue'] }, { validate: !values['no-validate'] });

  if (values.raw !== undefined) {
    const body = readFileSync(values.raw === '-' ? 0 : values.raw, 'utf8');
    const messageId = await ct.sendRaw(body);
    process.stdout.write(JSON.stringify({ type: 'RAW', messageId }) + '\n');
    return 0;
  }

  const arg = positionals[0];
  if (!arg) throw new UsageError('missing command (see --help)');
  if (positionals.length > 1) throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(' ')}`);
  const type = (ALIASES[arg] ?? arg.toUpperCase()) as CommandType;
  if (!COMMANDS.has(type)) throw new UsageError(`unknown command ${JSON.stringify(arg)} (see --help)`);
  const jobId = values['job-id'];
  const needsJob = type !== 'GET_JOB_LIST' && type !== 'START_JOB';
  if (needsJob && !jobId) throw new UsageError(`${type} needs --job-id`);
  const needsActivity = type === 'CANCEL_ACTIVITY' || type === 'GET_ACTIVITY_STATUS';
  if (needsActivity && !values['activity-id']) throw new UsageError(`${type} needs --activity-id`);

  let data: unknown;
  if (values.data !== undefined) data = readJson(values.data, '--data');
  else if (type === 'START_JOB') {
    if (!values['input-bucket'] || !values['input-file'] || !values.output?.length) {
      throw new UsageError('START_JOB needs --data FILE, or --input-bucket, --input-file and at least one --output');
    }
    data = {
      input_type: values['input-type'] ?? 'VIDEO',
      input_bucket: values['input-bucket'],
      input_file: values['input-file'],
      outputs: values.output.map(parseOutputSpec),
    } as JobDescription;
  } else if (needsActivity) data = { activityId: values['activity-id'] };
  else if (type === 'GET_JOB_LIST') {
    const filter: Record<string, unknown> = {};
    if (values.phase?.length) filter['phase'] = values.phase;
    if (values.limit !== undefined) filter['limit'] = Number(values.limit);
    if (values['next-token'] !== undefined) filter['next_token'] = values['next-token'];
    data = filter;
  } else data = {};

  const id = type === 'START_JOB' ? (jobId ?? newJobId()) : jobId;
  const sent = await ct.command(type, id, data);
  process.stdout.write(JSON.stringify({ type, job_id: id, messageId: sent.messageId }) + '\n');
  return 0;
}

runTool('ct-commander', main);
