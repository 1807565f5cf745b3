// Every AWS limit our calls can hit, in one place, and their enforcement on every client we build
// (enforceAwsLimits): a request over a limit fails here exactly as AWS would refuse it, so tests
// against moto (which enforces almost none of them) behave like AWS. Callers stay within the limits
// where AWS semantics allow it (truncate a reason; send a compact reference instead of a whole job).
// Sources: SWF API reference (parameter length constraints), SQS quotas, S3 object key rules.

export const SWF_LIMITS = {
  /** input of StartWorkflowExecution / ScheduleActivityTask / SignalWorkflowExecution. */
  input: 32_768,
  /** result of RespondActivityTaskCompleted / CompleteWorkflowExecution. */
  result: 32_768,
  /** details of failures, cancellations, terminations. */
  details: 32_768,
  /** RecordActivityTaskHeartbeat details. */
  heartbeatDetails: 2048,
  /** reason of failures and terminations. */
  reason: 256,
  /** identity of pollers. */
  identity: 256,
  control: 32_768,
  executionContext: 32_768,
  /** workflowId, activityId, task list names, signal names, domain names. */
  name: 256,
  tags: 5,
  tag: 256,
} as const;

export const SQS_LIMITS = {
  /** Body plus attributes of one message, in bytes (256 KiB). */
  messageBytes: 262_144,
  /** Entries of a *Batch call. */
  batchEntries: 10,
  /** Total payload of a SendMessageBatch, in bytes. */
  batchBytes: 262_144,
  maxReceive: 10,
  maxWaitSeconds: 20,
  maxVisibilitySeconds: 43_200,
} as const;

export const S3_LIMITS = {
  /** Object key, in bytes of UTF-8. */
  keyBytes: 1024,
  /** Keys of one DeleteObjects call. */
  deleteObjects: 1000,
  bucketName: { min: 3, max: 63 },
} as const;

export class AwsLimitError extends Error {
  override name = 'AwsLimitError';
  constructor(
    readonly command: string,
    readonly violations: string[],
  ) {
    super(`${command} would be refused by AWS: ${violations.join('; ')}`);
  }
}

export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

const MARK = '…[truncated]';

/** `s` cut to at most `max` characters (never inside a surrogate pair), marked as truncated. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = Math.max(0, max - MARK.length);
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  return s.slice(0, end) + MARK;
}

/**
 * JSON of `value` within `max` characters: the full form when it fits, else each compact form in turn
 * (never a cut JSON document, which nobody could parse). Throws AwsLimitError when none fits.
 */
export function boundedJson(what: string, value: unknown, max: number, ...compact: (() => unknown)[]): string {
  let text = JSON.stringify(value);
  for (const next of compact) {
    if (text.length <= max) return text;
    text = JSON.stringify(next());
  }
  if (text.length > max) throw new AwsLimitError(what, [`its JSON is ${text.length} characters, the limit is ${max}`]);
  return text;
}

// ---- checks per command (what each request may hold) ----

type Input = Record<string, unknown>;
type Check = (input: Input) => string[];

function len(field: string, v: unknown, max: number): string[] {
  return typeof v === 'string' && v.length > max ? [`${field} is ${v.length} characters (limit ${max})`] : [];
}

function s3Key(input: Input): string[] {
  const k = input['Key'];
  return typeof k === 'string' && utf8Bytes(k) > S3_LIMITS.keyBytes
    ? [`Key is ${utf8Bytes(k)} bytes of UTF-8 (limit ${S3_LIMITS.keyBytes})`]
    : [];
}

function sqsMessageBytes(m: Input): number {
  let n = utf8Bytes(String(m['MessageBody'] ?? ''));
  for (const [name, a] of Object.entries((m['MessageAttributes'] ?? {}) as Record<string, Input>)) {
    n += utf8Bytes(name) + utf8Bytes(String(a['DataType'] ?? '')) + utf8Bytes(String(a['StringValue'] ?? ''));
    const bin = a['BinaryValue'] as Uint8Array | undefined;
    if (bin) n += bin.byteLength;
  }
  return n;
}

function sqsEntries(input: Input): string[] {
  const entries = (input['Entries'] ?? []) as Input[];
  return entries.length > SQS_LIMITS.batchEntries ? [`${entries.length} entries (limit ${SQS_LIMITS.batchEntries})`] : [];
}

function decision(d: Input, i: number): string[] {
  const at = (k: string) => (d[k] ?? {}) as Input;
  const p = `decisions[${i}]`;
  const s = at('scheduleActivityTaskDecisionAttributes');
  const c = at('completeWorkflowExecutionDecisionAttributes');
  const f = at('failWorkflowExecutionDecisionAttributes');
  return [
    ...len(`${p}.input`, s['input'], SWF_LIMITS.input),
    ...len(`${p}.control`, s['control'], SWF_LIMITS.control),
    ...len(`${p}.activityId`, s['activityId'], SWF_LIMITS.name),
    ...len(`${p}.result`, c['result'], SWF_LIMITS.result),
    ...len(`${p}.reason`, f['reason'], SWF_LIMITS.reason),
    ...len(`${p}.details`, f['details'], SWF_LIMITS.details),
  ];
}

/** Every command we send that has a limit (by SDK command name). */
export const COMMAND_LIMITS: Record<string, Check> = {
  // SWF
  StartWorkflowExecutionCommand: (i) => [
    ...len('input', i['input'], SWF_LIMITS.input),
    ...len('workflowId', i['workflowId'], SWF_LIMITS.name),
    ...len('taskList.name', (i['taskList'] as Input | undefined)?.['name'], SWF_LIMITS.name),
    ...(((i['tagList'] as string[] | undefined)?.length ?? 0) > SWF_LIMITS.tags ? [`more than ${SWF_LIMITS.tags} tags`] : []),
    ...((i['tagList'] as string[] | undefined) ?? []).flatMap((t, n) => len(`tagList[${n}]`, t, SWF_LIMITS.tag)),
  ],
  SignalWorkflowExecutionCommand: (i) => [
    ...len('input', i['input'], SWF_LIMITS.input),
    ...len('signalName', i['signalName'], SWF_LIMITS.name),
  ],
  RespondDecisionTaskCompletedCommand: (i) => [
    ...len('executionContext', i['executionContext'], SWF_LIMITS.executionContext),
    ...((i['decisions'] ?? []) as Input[]).flatMap(decision),
  ],
  RespondActivityTaskCompletedCommand: (i) => len('result', i['result'], SWF_LIMITS.result),
  RespondActivityTaskFailedCommand: (i) => [
    ...len('reason', i['reason'], SWF_LIMITS.reason),
    ...len('details', i['details'], SWF_LIMITS.details),
  ],
  RespondActivityTaskCanceledCommand: (i) => len('details', i['details'], SWF_LIMITS.details),
  RecordActivityTaskHeartbeatCommand: (i) => len('details', i['details'], SWF_LIMITS.heartbeatDetails),
  TerminateWorkflowExecutionCommand: (i) => [
    ...len('reason', i['reason'], SWF_LIMITS.reason),
    ...len('details', i['details'], SWF_LIMITS.details),
  ],
  PollForActivityTaskCommand: (i) => len('identity', i['identity'], SWF_LIMITS.identity),
  PollForDecisionTaskCommand: (i) => len('identity', i['identity'], SWF_LIMITS.identity),
  // SQS
  SendMessageCommand: (i) => {
    const n = sqsMessageBytes(i);
    return n > SQS_LIMITS.messageBytes ? [`message is ${n} bytes (limit ${SQS_LIMITS.messageBytes})`] : [];
  },
  SendMessageBatchCommand: (i) => {
    const sizes = ((i['Entries'] ?? []) as Input[]).map(sqsMessageBytes);
    const total = sizes.reduce((a, b) => a + b, 0);
    return [
      ...sqsEntries(i),
      ...sizes.flatMap((n, k) => (n > SQS_LIMITS.messageBytes ? [`entry ${k} is ${n} bytes (limit ${SQS_LIMITS.messageBytes})`] : [])),
      ...(total > SQS_LIMITS.batchBytes ? [`batch is ${total} bytes (limit ${SQS_LIMITS.batchBytes})`] : []),
    ];
  },
  DeleteMessageBatchCommand: sqsEntries,
  ChangeMessageVisibilityBatchCommand: sqsEntries,
  ReceiveMessageCommand: (i) => [
    ...(Number(i['MaxNumberOfMessages'] ?? 1) > SQS_LIMITS.maxReceive ? [`MaxNumberOfMessages above ${SQS_LIMITS.maxReceive}`] : []),
    ...(Number(i['WaitTimeSeconds'] ?? 0) > SQS_LIMITS.maxWaitSeconds ? [`WaitTimeSeconds above ${SQS_LIMITS.maxWaitSeconds}`] : []),
  ],
  ChangeMessageVisibilityCommand: (i) =>
    Number(i['VisibilityTimeout'] ?? 0) > SQS_LIMITS.maxVisibilitySeconds
      ? [`VisibilityTimeout above ${SQS_LIMITS.maxVisibilitySeconds} s`]
      : [],
  // S3
  PutObjectCommand: s3Key,
  GetObjectCommand: s3Key,
  HeadObjectCommand: s3Key,
  DeleteObjectCommand: s3Key,
  CopyObjectCommand: s3Key,
  CreateMultipartUploadCommand: s3Key,
  UploadPartCommand: s3Key,
  CompleteMultipartUploadCommand: s3Key,
  DeleteObjectsCommand: (i) => {
    const n = (((i['Delete'] as Input | undefined)?.['Objects'] ?? []) as unknown[]).length;
    return n > S3_LIMITS.deleteObjects ? [`${n} keys (limit ${S3_LIMITS.deleteObjects})`] : [];
  },
};

/** The limit violations of one request (empty = AWS would take it as far as sizes go). */
export function violations(commandName: string, input: unknown): string[] {
  const check = COMMAND_LIMITS[commandName];
  return check && input && typeof input === 'object' ? check(input as Input) : [];
}

type Handler = (args: { input: unknown }) => Promise<unknown>;
interface Stack {
  add(
    mw: (next: Handler, context: { commandName?: string }) => Handler,
    opts: { step: 'initialize'; name: string; override: boolean },
  ): void;
}

/** Adds the checks to an AWS SDK v3 client: an over-limit request throws AwsLimitError and is never sent. */
export function enforceAwsLimits<C extends { middlewareStack: unknown }>(client: C): C {
  (client.middlewareStack as Stack).add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? '');
      const v = violations(name, args.input);
      if (v.length) throw new AwsLimitError(name.replace(/Command$/, ''), v);
      return next(args);
    },
    { step: 'initialize', name: 'ctAwsLimits', override: true },
  );
  return client;
}
