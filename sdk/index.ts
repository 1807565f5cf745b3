// Client SDK for the CT protocol over SQS: send commands to your input queue, read progress and
// results from your output queue. Works against real AWS or a local stack: region, endpoint and
// credentials come from the standard AWS chain (AWS_REGION, AWS_ENDPOINT_URL / CT_AWS_ENDPOINT, …).
//
//   const ct = new CtClient({ inputQueueUrl, outputQueueUrl });
//   const jobId = await ct.startJob({ input_type: 'VIDEO', input_bucket: 'in', input_file: 'a.mp4', outputs: [...] });
//   for await (const msg of ct.messages({ jobId, untilDone: true })) console.log(msg.type);
import { randomBytes } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { clientConfig } from '../lib/aws/config.js';
import { enforceAwsLimits } from '../lib/aws/limits.js';
import { validator } from '../lib/validate.js';
import { JobDescription } from '../lib/schema/ct-job.js';
import {
  COMMAND_SCHEMAS,
  JOB_END_TYPES,
  epochSeconds,
  type AnyCtMessage,
  type CommandType,
  type JobListFilter,
} from '../lib/ct/messages.js';

export type { AnyCtMessage, CtMessage, MessageType, MessageData, CommandType, JobListFilter, RejectReason } from '../lib/ct/messages.js';
export type { JobDescription, OutputSpec } from '../lib/schema/ct-job.js';
export { ValidationError } from '../lib/validate.js';
export { queuesOfTranscodeClient, resolveQueues, type ClientQueues } from './queues.js';

export interface CtClientOptions {
  inputQueueUrl: string;
  outputQueueUrl: string;
  /** Bring your own client (credentials, retries); default: standard chain + lib/aws/config.ts. */
  sqs?: SQSClient;
  /** Validate commands locally before sending (default true): errors surface as ValidationError at once. */
  validate?: boolean;
}

export interface SentCommand {
  jobId: string | undefined;
  messageId: string | undefined;
}

export interface MessagesOptions {
  /** Only these job's messages are handed over (others stay in the queue for another reader). */
  jobId?: string;
  /** Stop after the job's JOB_COMPLETED / JOB_FAILED / JOB_CANCELED (needs jobId). */
  untilDone?: boolean;
  /** Long-poll wait per receive, seconds (default 20). */
  waitSeconds?: number;
  /** Stop reading when aborted. */
  signal?: AbortSignal;
  /** Non-JSON bodies on the output queue are deleted and reported here. */
  onInvalid?: (body: string) => void;
}

const checkJob = validator(JobDescription, 'job description');
const checkCommand = Object.fromEntries(Object.entries(COMMAND_SCHEMAS).map(([t, s]) => [t, validator(s, `${t} command`)])) as Record<
  CommandType,
  ReturnType<typeof validator>
>;

/** CT's default job id: 32 lowercase hex characters. */
export function newJobId(): string {
  return randomBytes(16).toString('hex');
}

export class CtClient {
  readonly sqs: SQSClient;
  private readonly validate: boolean;

  constructor(readonly opts: CtClientOptions) {
    this.sqs = enforceAwsLimits(opts.sqs ?? new SQSClient(clientConfig()));
    this.validate = opts.validate ?? true;
  }

  /** Sends START_JOB; returns the job id (yours, or a new CT-style one). */
  async startJob(data: JobDescription, jobId: string = newJobId()): Promise<string> {
    if (this.validate) checkJob.assert(data);
    await this.command('START_JOB', jobId, data);
    return jobId;
  }

  /** Requests cancellation; answered by JOB_CANCEL_REQUESTED then JOB_CANCELED (or COMMAND_REJECTED). */
  cancelJob(jobId: string): Promise<SentCommand> {
    return this.command('CANCEL_JOB', jobId);
  }

  /** Answered by JOB_STATUS. */
  getJobStatus(jobId: string): Promise<SentCommand> {
    return this.command('GET_JOB_STATUS', jobId);
  }

  /** Answered by JOB_LIST (pass next_token from the previous JOB_LIST for the next page). */
  listJobs(filter: JobListFilter = {}): Promise<SentCommand> {
    return this.command('GET_JOB_LIST', undefined, filter);
  }

  /** Answered by ACTIVITY_CANCEL_REQUESTED then ACTIVITY_CANCELED. */
  cancelActivity(jobId: string, activityId: string): Promise<SentCommand> {
    return this.command('CANCEL_ACTIVITY', jobId, { activityId });
  }

  /** Answered by ACTIVITY_LIST. */
  getActivityList(jobId: string): Promise<SentCommand> {
    return this.command('GET_ACTIVITY_LIST', jobId);
  }

  /** Answered by ACTIVITY_STATUS. */
  getActivityStatus(jobId: string, activityId: string): Promise<SentCommand> {
    return this.command('GET_ACTIVITY_STATUS', jobId, { activityId });
  }

  /** Any command in the G1 envelope. */
  async command(type: CommandType, jobId?: string, data: unknown = {}): Promise<SentCommand> {
    const message = { time: epochSeconds(), type, ...(jobId !== undefined ? { job_id: jobId } : {}), data };
    if (this.validate) checkCommand[type]!.assert(message);
    const res = await this.sendRaw(JSON.stringify(message));
    return { jobId, messageId: res };
  }

  /** Sends a body as is (no validation): for tools and tests. Returns the SQS MessageId. */
  async sendRaw(body: string): Promise<string | undefined> {
    const res = await this.sqs.send(new SendMessageCommand({ QueueUrl: this.opts.inputQueueUrl, MessageBody: body }));
    return res.MessageId;
  }

  /**
   * Messages from the output queue, oldest first per receive. A message is deleted once handed over
   * and the loop asks for the next one (or ends), so a crash while handling it means redelivery, not
   * loss. Received messages not handed over (filtered out, or left when the loop ends) become visible
   * again for other readers.
   */
  async *messages(opts: MessagesOptions = {}): AsyncGenerator<AnyCtMessage, void, undefined> {
    if (opts.untilDone && !opts.jobId) throw new Error('messages({ untilDone }) needs a jobId');
    const queueUrl = this.opts.outputQueueUrl;
    for (;;) {
      if (opts.signal?.aborted) return;
      // The receive is not aborted on the wire: SQS would still hand messages to the dropped request
      // and hide them for the visibility timeout. On abort we stop waiting and release what it gets.
      const pending = this.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: opts.waitSeconds ?? 20, MaxNumberOfMessages: 10 }),
      );
      const res = await raceAbort(pending, opts.signal);
      if (res === ABORTED) {
        pending.then((r) => this.release(r.Messages ?? [], queueUrl)).catch(() => undefined);
        return;
      }
      const received: Message[] = res.Messages ?? [];
      // Oldest first (standard queues do not promise order; `time` does).
      const parsed = received.map((m) => ({ m, msg: parse(m.Body ?? '') })).sort((a, b) => (a.msg?.time ?? 0) - (b.msg?.time ?? 0));
      // Index of the first message not yet dealt with: what is left when the loop ends is released.
      let next = 0;
      try {
        for (let i = 0; i < parsed.length; i++) {
          const { m, msg } = parsed[i]!;
          next = i + 1;
          if (!msg) {
            opts.onInvalid?.(m.Body ?? '');
            await this.delete(m);
            continue;
          }
          // Another job's message stays invisible for the queue's visibility timeout, then returns for
          // other readers (releasing it at once would make this loop spin on it).
          if (opts.jobId !== undefined && msg.job_id !== opts.jobId) continue;
          try {
            yield msg;
          } finally {
            await this.delete(m);
          }
          if (opts.untilDone && JOB_END_TYPES.includes(msg.type)) return;
        }
      } finally {
        await this.release(
          parsed.slice(next).map((p) => p.m),
          queueUrl,
        );
      }
    }
  }

  private async delete(m: Message): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.opts.outputQueueUrl, ReceiptHandle: m.ReceiptHandle }));
  }

  /** Makes received-but-unused messages visible again at once. */
  private async release(ms: Message[], queueUrl: string): Promise<void> {
    for (let k = 0; k < ms.length; k += 10) {
      const chunk = ms.slice(k, k + 10);
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    }
  }
}

const ABORTED = Symbol('aborted');

function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function parse(body: string): AnyCtMessage | undefined {
  try {
    const v = JSON.parse(body) as unknown;
    if (v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string') return v as AnyCtMessage;
  } catch {
    // not JSON: reported through onInvalid
  }
  return undefined;
}
