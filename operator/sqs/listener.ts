// Long-polls the input queue of every Ready TranscodeClient and hands each message to the command
// handler. It runs on every operator replica (not only the leader): the handler's effects are
// idempotent (docs/retention.md), so replicas share the queues' messages and ingest scales with them. A fixed pool of pollers works through a rotation of client queues: while there are fewer
// clients than pollers every queue always has a long poll open (low latency); with more clients they
// take turns. An idle queue costs one ReceiveMessage per wait period, never a busy loop.
//
// Delivery: a message is deleted only after its effect is durable (job created / spec patched / reply
// sent). When handling throws, the message is left in the queue with a growing visibility timeout; the
// queue's redrive policy moves it to the client's DLQ after maxReceiveCount receives.
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Logger } from '../../lib/log.js';
import { errorInfo } from '../../lib/log.js';
import type { TranscodeClient } from '../../lib/schema/transcode-client.js';
import type { CacheReader, Runnable } from '../runtime/index.js';
import { isTrue, sleep } from '../runtime/index.js';
import type { ClientTarget, CommandHandler, HandleResult } from './commands.js';
import type { SqsConfig } from './config.js';
import { sqsMessages } from './metrics.js';

interface Target extends ClientTarget {
  key: string;
  failures: number;
}

export class SqsListener implements Runnable {
  readonly name = 'sqs-listener';
  /** Every replica polls: handling is idempotent (deterministic job names, conditional patches). */
  readonly everyReplica = true;
  private readonly targets = new Map<string, Target>();
  private rotation: string[] = [];
  private readonly inRotation = new Set<string>();
  private waiters: (() => void)[] = [];
  /** Counters for tests and logs. */
  readonly stats = { receives: 0, messages: 0, failures: 0 };

  constructor(
    private readonly sqs: SQSClient,
    private readonly clients: CacheReader<TranscodeClient>,
    private readonly clientsSynced: () => Promise<void>,
    private readonly handler: CommandHandler,
    private readonly config: SqsConfig,
    private readonly log: Logger,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    // A listener run again (after a stop) starts from nothing, or the clients polled before would
    // count as known and never be put back into rotation.
    this.targets.clear();
    this.rotation = [];
    this.inRotation.clear();
    this.waiters = [];
    await this.clientsSynced();
    this.refresh();
    const workers = Array.from({ length: this.config.pollers }, () => this.worker(signal));
    const refresher = (async () => {
      while (!signal.aborted) {
        await sleep(this.config.clientRefreshMs, signal);
        this.refresh();
      }
    })();
    // In-flight long polls are not aborted: SQS would still hand out messages to a dropped request,
    // hiding them for the visibility timeout. They end within waitSeconds and release what they got.
    signal.addEventListener('abort', () => this.wake(Infinity));
    this.log.info({ pollers: this.config.pollers, clients: this.targets.size }, 'SQS listener started');
    await Promise.all([...workers, refresher]);
    this.log.info('SQS listener stopped');
  }

  /** Ready clients with queue URLs, from the cache; gone or not-Ready ones stop being polled. */
  private refresh(): void {
    const seen = new Set<string>();
    for (const c of this.clients.list()) {
      const ns = c.metadata.namespace ?? 'default';
      const name = c.metadata.name ?? '';
      const inputUrl = c.status?.queues?.inputUrl;
      const outputUrl = c.status?.queues?.outputUrl;
      if (!inputUrl || !outputUrl || c.metadata.deletionTimestamp || !isTrue(c.status?.conditions, 'Ready')) continue;
      const key = `${ns}/${name}`;
      seen.add(key);
      const existing = this.targets.get(key);
      if (existing && existing.inputUrl === inputUrl && existing.outputUrl === outputUrl) continue;
      this.targets.set(key, { key, namespace: ns, name, inputUrl, outputUrl, failures: 0 });
      this.enqueue(key);
      this.log.info({ client: key, inputUrl }, existing ? 'client queues changed' : 'polling client input queue');
    }
    for (const key of this.targets.keys()) {
      if (seen.has(key)) continue;
      this.targets.delete(key);
      this.log.info({ client: key }, 'stopped polling client (deleted or not Ready)');
    }
  }

  private enqueue(key: string): void {
    if (this.inRotation.has(key) || !this.targets.has(key)) return;
    this.inRotation.add(key);
    this.rotation.push(key);
    this.wake(1);
  }

  private wake(n: number): void {
    while (n-- > 0 && this.waiters.length) this.waiters.shift()!();
  }

  private async next(signal: AbortSignal): Promise<Target | undefined> {
    for (;;) {
      if (signal.aborted) return undefined;
      const key = this.rotation.shift();
      if (key !== undefined) {
        this.inRotation.delete(key);
        const t = this.targets.get(key);
        if (t) return t;
        continue;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private async worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const t = await this.next(signal);
      if (!t) return;
      const delayMs = await this.pollOnce(t, signal);
      if (signal.aborted) return;
      if (delayMs > 0) {
        // Back-off (failed or instant-empty receive), without holding a poller.
        setTimeout(() => this.enqueue(t.key), delayMs).unref();
      } else {
        this.enqueue(t.key);
      }
    }
  }

  /** One long poll + handling of what it returned; returns how long to wait before polling again. */
  private async pollOnce(t: Target, signal: AbortSignal): Promise<number> {
    let messages: Message[];
    const started = Date.now();
    try {
      this.stats.receives += 1;
      const res = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: t.inputUrl,
          WaitTimeSeconds: this.config.waitSeconds,
          MaxNumberOfMessages: this.config.batchSize,
          VisibilityTimeout: this.config.visibilitySeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      messages = res.Messages ?? [];
      t.failures = 0;
    } catch (err) {
      t.failures += 1;
      const delay = Math.min(60_000, 1000 * 2 ** Math.min(t.failures - 1, 6));
      this.log.warn(
        { client: t.key, inputUrl: t.inputUrl, err: errorInfo(err), retryInMs: delay },
        'receiving from the input queue failed',
      );
      return delay;
    }
    // An endpoint that ignores WaitTimeSeconds answers empty at once: never poll one queue in a tight loop.
    if (!messages.length) return Math.max(0, 1000 - (Date.now() - started));
    // Shutting down, or the client went away (or changed queues) while we waited: hand the messages
    // back at once instead of acting for a client that is no longer served here.
    if (signal.aborted || this.targets.get(t.key) !== t) {
      await this.release(t, messages);
      return 0;
    }
    const done: Message[] = [];
    // Messages of one job are handled in order (a CANCEL_JOB right after its START_JOB must see the
    // job); different jobs in parallel.
    await Promise.all(
      [...groupByJob(messages).values()].map(async (group) => {
        for (const m of group) {
          this.stats.messages += 1;
          if (await this.handleOne(t, m)) done.push(m);
        }
      }),
    );
    await this.deleteAll(t, done);
    return 0;
  }

  private async handleOne(t: Target, m: Message): Promise<boolean> {
    const log = this.log.child({ client: t.key, messageId: m.MessageId });
    let result: HandleResult;
    try {
      result = await this.handler.handle(t, m.Body ?? '', m.MessageId);
    } catch (err) {
      this.stats.failures += 1;
      sqsMessages.inc({ outcome: 'error' });
      const receives = Number(m.Attributes?.['ApproximateReceiveCount'] ?? '1') || 1;
      const visibility = Math.min(900, this.config.retryBaseSeconds * 2 ** Math.min(receives - 1, 10));
      log.error({ err: errorInfo(err), receives, retryInSeconds: visibility }, 'handling a message failed; it stays in the queue');
      try {
        await this.sqs.send(
          new ChangeMessageVisibilityCommand({ QueueUrl: t.inputUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: visibility }),
        );
      } catch (visErr) {
        log.warn({ err: errorInfo(visErr) }, 'could not shorten the visibility timeout; the message returns after the default');
      }
      return false;
    }
    sqsMessages.inc({ outcome: result.outcome });
    return true;
  }

  private async release(t: Target, messages: Message[]): Promise<void> {
    try {
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: t.inputUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    } catch (err) {
      this.log.warn(
        { client: t.key, err: errorInfo(err) },
        'could not release received messages; they return after the visibility timeout',
      );
    }
  }

  private async deleteAll(t: Target, done: Message[]): Promise<void> {
    if (!done.length) return;
    try {
      const res = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: t.inputUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      for (const f of res.Failed ?? []) {
        this.log.warn(
          { client: t.key, failure: f },
          'deleting a handled message failed; it will be redelivered and recognised as a duplicate',
        );
      }
    } catch (err) {
      this.log.warn(
        { client: t.key, err: errorInfo(err) },
        'deleting handled messages failed; they will be redelivered and recognised as duplicates',
      );
    }
  }
}

/** Messages grouped by the job they name (unreadable ones and job-less commands each on their own). */
function groupByJob(messages: Message[]): Map<string, Message[]> {
  const groups = new Map<string, Message[]>();
  messages.forEach((m, i) => {
    let key = `#${i}`;
    try {
      const v = JSON.parse(m.Body ?? '') as { job_id?: unknown; jobId?: unknown };
      const id = v.job_id ?? v.jobId;
      if (typeof id === 'string') key = `job:${id}`;
    } catch {
      // not JSON: the handler rejects it on its own
    }
    const g = groups.get(key);
    if (g) g.push(m);
    else groups.set(key, [m]);
  });
  return groups;
}
