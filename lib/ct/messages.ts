// The CT client protocol over SQS (docs/ct-protocol.md):
// the G1 envelope, the seven client commands with their ajv schemas, and the stack → client messages.
//
// Client → stack (input queue). Envelope {time, type, job_id | jobId, data}; extra top-level keys are
// ignored (G1 allowed them; G2's `data.client`/top-level `client` is never trusted: the client is the
// owner of the queue the message arrived on).
//   START_JOB           job_id, data = the G1 job description (lib/schema/ct-job.ts)
//   CANCEL_JOB          job_id; data optional ({})                        → JOB_CANCEL_REQUESTED, later JOB_CANCELED
//   GET_JOB_STATUS      job_id; data optional                             → JOB_STATUS
//   GET_JOB_LIST        data optional: {phase?: Phase | Phase[], limit?: 1–1000 (100), next_token?} → JOB_LIST
//   CANCEL_ACTIVITY     job_id, data {activityId}                         → ACTIVITY_CANCEL_REQUESTED, later ACTIVITY_CANCELED
//   GET_ACTIVITY_LIST   job_id; data optional                             → ACTIVITY_LIST
//   GET_ACTIVITY_STATUS job_id, data {activityId}                         → ACTIVITY_STATUS
// A command that cannot be honoured is answered with COMMAND_REJECTED {reason, details, errors?, command?}.
//
// Stack → client (output queue), always the G1 envelope {time (float epoch s), type, job_id, data}:
// G1 types JOB_STARTED, ACTIVITY_STARTED, ACTIVITY_PREPARING, ACTIVITY_PROGRESS, ACTIVITY_FINISHING,
// ACTIVITY_COMPLETED, ACTIVITY_FAILED, ACTIVITY_TIMEOUT, JOB_COMPLETED, JOB_FAILED with G1 shapes; new
// ones: JOB_CANCELED, ACTIVITY_CANCELED, ACTIVITY_UNSCHEDULABLE (no runner serves the task's type yet),
// the replies above, COMMAND_REJECTED. job_id is always present (null where there is none: JOB_LIST,
// a rejected message whose job_id could not be read); replies about a job carry its data.workflow
// (docs/ct-protocol.md).
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { JobId } from '../schema/common.js';
import { JobDescription } from '../schema/ct-job.js';
import { JOB_PHASES, type JobPhase } from '../schema/transcode-job.js';

/** SQS's classic limit; anything larger is not a CT command (AWS now allows 1 MiB bodies). */
export const MAX_BODY_BYTES = 256 * 1024;

export const COMMAND_TYPES = [
  'START_JOB',
  'CANCEL_JOB',
  'GET_JOB_STATUS',
  'GET_JOB_LIST',
  'CANCEL_ACTIVITY',
  'GET_ACTIVITY_LIST',
  'GET_ACTIVITY_STATUS',
] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

export function isCommandType(t: unknown): t is CommandType {
  return typeof t === 'string' && (COMMAND_TYPES as readonly string[]).includes(t);
}

/** Reasons of COMMAND_REJECTED. */
export const REJECT_REASONS = [
  'INVALID_JSON', // body is not JSON (or not a JSON object)
  'MESSAGE_TOO_LARGE', // body over MAX_BODY_BYTES
  'FORMAT_INVALID', // schema violation; details/errors name every offending field
  'UNKNOWN_COMMAND', // type is not one of COMMAND_TYPES
  'UNKNOWN_JOB', // no job with this job_id for this client
  'UNKNOWN_ACTIVITY', // no activity with this activityId in that job
  'JOB_ID_IN_USE', // START_JOB with a job_id that exists with a different job description
  'JOB_ALREADY_FINISHED', // CANCEL_JOB of a finished job
  'ACTIVITY_ALREADY_FINISHED', // CANCEL_ACTIVITY of a finished activity
  'JOB_TOO_LARGE', // START_JOB whose state or end message could not be held (lib/jobs/status-limits.ts)
  'BUCKET_NOT_ALLOWED', // START_JOB naming a bucket the client is not entitled to (lib/ct/bucket-access.ts)
  'KEY_NOT_ALLOWED', // START_JOB naming a key outside the client's prefix, or one with ./.. segments or a URL form
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

// ---- client → stack: schemas ------------------------------------------------------------------

const Time = Type.Number({ minimum: 0, description: 'Send time, float epoch seconds.' });
const ActivityId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' });
const Phase = Type.Unsafe<JobPhase>({ type: 'string', enum: [...JOB_PHASES] });

/** Any command: what must hold before the per-type schema is looked at. */
export const EnvelopeBase = Type.Object(
  {
    time: Time,
    type: Type.String({ minLength: 1, maxLength: 64 }),
    job_id: Type.Optional(JobId()),
    jobId: Type.Optional(JobId({ description: 'G2 alias of job_id.' })),
    data: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: true },
);

const command = <T extends CommandType, D extends TSchema>(type: T, data: D, jobIdRequired: boolean) =>
  Type.Object(
    {
      time: Time,
      type: Type.Literal(type),
      ...(jobIdRequired ? { job_id: JobId() } : { job_id: Type.Optional(JobId()) }),
      data,
    },
    { additionalProperties: true },
  );

const NoData = Type.Optional(Type.Object({}, { additionalProperties: false }));
const ActivityRef = Type.Object({ activityId: ActivityId }, { additionalProperties: false });

export const JobListFilter = Type.Object(
  {
    phase: Type.Optional(Type.Union([Phase, Type.Array(Phase, { minItems: 1, maxItems: JOB_PHASES.length, uniqueItems: true })])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    next_token: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  { additionalProperties: false },
);

export const COMMAND_SCHEMAS = {
  START_JOB: command('START_JOB', JobDescription, true),
  CANCEL_JOB: command('CANCEL_JOB', NoData, true),
  GET_JOB_STATUS: command('GET_JOB_STATUS', NoData, true),
  GET_JOB_LIST: command('GET_JOB_LIST', Type.Optional(JobListFilter), false),
  CANCEL_ACTIVITY: command('CANCEL_ACTIVITY', ActivityRef, true),
  GET_ACTIVITY_LIST: command('GET_ACTIVITY_LIST', NoData, true),
  GET_ACTIVITY_STATUS: command('GET_ACTIVITY_STATUS', ActivityRef, true),
} as const;

export type StartJobCommand = Static<(typeof COMMAND_SCHEMAS)['START_JOB']>;
export type CancelJobCommand = Static<(typeof COMMAND_SCHEMAS)['CANCEL_JOB']>;
export type GetJobStatusCommand = Static<(typeof COMMAND_SCHEMAS)['GET_JOB_STATUS']>;
export type GetJobListCommand = Static<(typeof COMMAND_SCHEMAS)['GET_JOB_LIST']>;
export type CancelActivityCommand = Static<(typeof COMMAND_SCHEMAS)['CANCEL_ACTIVITY']>;
export type GetActivityListCommand = Static<(typeof COMMAND_SCHEMAS)['GET_ACTIVITY_LIST']>;
export type GetActivityStatusCommand = Static<(typeof COMMAND_SCHEMAS)['GET_ACTIVITY_STATUS']>;
export type Command =
  | StartJobCommand
  | CancelJobCommand
  | GetJobStatusCommand
  | GetJobListCommand
  | CancelActivityCommand
  | GetActivityListCommand
  | GetActivityStatusCommand;
export type JobListFilter = Static<typeof JobListFilter>;

// ---- stack → client ---------------------------------------------------------------------------

export const MESSAGE_TYPES = [
  'JOB_STARTED',
  'ACTIVITY_STARTED',
  'ACTIVITY_PREPARING',
  'ACTIVITY_PROGRESS',
  'ACTIVITY_FINISHING',
  'ACTIVITY_COMPLETED',
  'ACTIVITY_FAILED',
  'ACTIVITY_TIMEOUT',
  'ACTIVITY_CANCELED',
  'ACTIVITY_UNSCHEDULABLE',
  'JOB_COMPLETED',
  'JOB_FAILED',
  'JOB_CANCELED',
  'JOB_STATUS',
  'JOB_LIST',
  'ACTIVITY_LIST',
  'ACTIVITY_STATUS',
  'JOB_CANCEL_REQUESTED',
  'ACTIVITY_CANCEL_REQUESTED',
  'COMMAND_REJECTED',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Messages that end a job: a poller waiting for a job stops at one of these. */
export const JOB_END_TYPES: readonly MessageType[] = ['JOB_COMPLETED', 'JOB_FAILED', 'JOB_CANCELED'];

/** SWF WorkflowExecution of the job (G1 `data.workflow`). */
export interface WorkflowRef {
  workflowId: string;
  runId: string;
}

export interface ActivityType {
  name: 'TranscodeAsset' | 'ValidateInputAndAsset';
  version: string;
}

/** G1 `data.activity`: base fields plus what each message type merges in. */
export interface ActivityInfo {
  activityId: string;
  activityType: ActivityType;
  /** ACTIVITY_STARTED: for ValidateInputAndAsset the job data; for TranscodeAsset {input_asset_type, input_asset_info, output, output_index}. */
  input?: unknown;
  /** ACTIVITY_PROGRESS (G1: merged into activity). */
  duration?: number;
  done?: number;
  progress?: number;
  /** ACTIVITY_FAILED / ACTIVITY_CANCELED. */
  reason?: string;
  details?: string;
  /** ACTIVITY_TIMEOUT (G1 tracker record subset); ACTIVITY_UNSCHEDULABLE: "UNSCHEDULABLE". */
  status?: string;
  timeoutType?: string;
}

/** One output of a job as the replies and JOB_COMPLETED list it. */
export interface OutputReport {
  index: number;
  output_type: string;
  status: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Canceled';
  bucket?: string;
  keys?: string[];
  /** Long key lists: keys holds the first ones; every key is in the JSON array at `manifest` (same bucket). */
  key_count?: number;
  key_prefix?: string;
  manifest?: string;
  size?: number;
  reason?: string;
  details?: string;
  /** VIDEO: "peertube" when a standard PeerTube runner encoded it (vod-web-video-transcoding: preset size/fps, bitrates not guaranteed). */
  encoding?: 'exact' | 'peertube';
}

/** One activity (runner task) as the replies list it. */
export interface ActivitySummary {
  activityId: string;
  activityType: ActivityType;
  name: string;
  output_index: number;
  state: string;
  state_id: number;
  progress?: number;
  failures: number;
  timeouts?: number;
  runner?: string;
  error?: string;
  created: string;
  started?: string;
  finished?: string;
  result?: { bucket: string; keys: string[]; keyCount?: number; keyPrefix?: string; manifest?: string; size?: number };
}

export interface JobSummary {
  job_id: string;
  phase: JobPhase;
  progress?: number;
  reason?: string;
  details?: string;
  created?: string;
  started?: string;
  completed?: string;
  workflow?: WorkflowRef;
}

export interface MessageData {
  JOB_STARTED: { workflow: WorkflowRef & { input: unknown } };
  ACTIVITY_STARTED: { workflow: WorkflowRef; activity: ActivityInfo };
  ACTIVITY_PREPARING: { workflow: WorkflowRef; activity: ActivityInfo };
  ACTIVITY_PROGRESS: { workflow: WorkflowRef; activity: ActivityInfo };
  ACTIVITY_FINISHING: { workflow: WorkflowRef; activity: ActivityInfo };
  ACTIVITY_COMPLETED: { workflow: WorkflowRef; activity: ActivityInfo };
  ACTIVITY_FAILED: { workflow: WorkflowRef; activity: ActivityInfo };
  ACTIVITY_TIMEOUT: { workflow: WorkflowRef; activity: ActivityInfo };
  ACTIVITY_CANCELED: { workflow: WorkflowRef; activity: ActivityInfo };
  /** No live runner serves the activity's job type (docs/official-runners.md); it fails at `deadline` unless one appears. */
  ACTIVITY_UNSCHEDULABLE: { workflow: WorkflowRef; activity: ActivityInfo & { task_type: string; deadline: string } };
  JOB_COMPLETED: { workflow: WorkflowRef; outputs: OutputReport[]; failed: number[] };
  JOB_FAILED: { workflow: WorkflowRef; reason: string; details: string; outputs: OutputReport[] };
  JOB_CANCELED: { workflow: WorkflowRef; reason: 'JOB_CANCELED'; details: string; outputs: OutputReport[] };
  JOB_STATUS: { workflow?: WorkflowRef; job: JobSummary; outputs: OutputReport[]; activities: ActivitySummary[] };
  JOB_LIST: { jobs: JobSummary[]; next_token?: string };
  ACTIVITY_LIST: { workflow?: WorkflowRef; activities: ActivitySummary[] };
  ACTIVITY_STATUS: { workflow?: WorkflowRef; activity: ActivitySummary };
  JOB_CANCEL_REQUESTED: { workflow?: WorkflowRef };
  ACTIVITY_CANCEL_REQUESTED: { workflow?: WorkflowRef; activity: { activityId: string } };
  COMMAND_REJECTED: {
    workflow?: WorkflowRef;
    reason: RejectReason;
    details: string;
    errors?: string[];
    command?: string;
    message_id?: string;
  };
}

export interface CtMessage<T extends MessageType = MessageType> {
  time: number;
  type: T;
  /** Always present, as on every G1 message; null where no job id is known (JOB_LIST, an unreadable command). */
  job_id: string | null;
  data: MessageData[T];
}

/** Any stack → client message, discriminated on `type` (what an SDK user switches on). */
export type AnyCtMessage = { [T in MessageType]: CtMessage<T> }[MessageType];

/** Float epoch seconds (G1 `microtime(true)`), microsecond resolution. */
export function epochSeconds(ms: number = Date.now()): number {
  return Math.round(ms * 1000) / 1e6;
}

export function ctMessage<T extends MessageType>(
  type: T,
  jobId: string | undefined,
  data: MessageData[T],
  time = epochSeconds(),
): CtMessage<T> {
  return { time, type, job_id: jobId ?? null, data };
}

export function rejection(
  reason: RejectReason,
  details: string,
  extra: { jobId?: string; command?: string; errors?: string[]; messageId?: string; workflow?: WorkflowRef } = {},
): CtMessage<'COMMAND_REJECTED'> {
  return ctMessage('COMMAND_REJECTED', extra.jobId, {
    ...(extra.workflow ? { workflow: extra.workflow } : {}),
    reason,
    details,
    ...(extra.errors?.length ? { errors: extra.errors } : {}),
    ...(extra.command ? { command: extra.command } : {}),
    ...(extra.messageId ? { message_id: extra.messageId } : {}),
  });
}
