// The listener's poller pool with a plain fake SQS (pure scheduling logic): bounded concurrency, every
// Ready client polled, no tight loop on empty answers, clients that go away stop being polled, handled
// messages deleted and failed ones left with a back-off.
import { pino } from 'pino';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SqsListener } from '../../../operator/sqs/listener.js';
import { sqsConfigFromEnv } from '../../../operator/sqs/config.js';
import type { CommandHandler } from '../../../operator/sqs/commands.js';
import type { TranscodeClient } from '../../../lib/schema/transcode-client.js';
import type { CacheReader } from '../../../operator/runtime/index.js';

const log = pino({ level: 'silent' });

function client(name: string, ready = true): TranscodeClient {
  return {
    apiVersion: 'cloudtranscode.io/v1alpha1',
    kind: 'TranscodeClient',
    metadata: { name, namespace: 'ns' },
    spec: { principal: '123456789012' },
    status: {
      queues: { inputUrl: `http://sqs/${name}-in`, outputUrl: `http://sqs/${name}-out` },
      conditions: [
        { type: 'Ready', status: ready ? 'True' : 'False', reason: 'x', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' },
      ],
    },
  };
}

class FakeCache implements CacheReader<TranscodeClient> {
  constructor(public items: TranscodeClient[]) {}
  get(key: string) {
    return this.items.find((c) => `ns/${c.metadata.name}` === key);
  }
  list() {
    return this.items;
  }
  byLabel() {
    return [];
  }
  size() {
    return this.items.length;
  }
}

/** Answers receives after `waitMs` (a long poll), with queued bodies per queue. */
class FakeSqs {
  inFlight = 0;
  maxInFlight = 0;
  receives = new Map<string, number>();
  deleted: string[] = [];
  visibility: { handle: string; timeout: number }[] = [];
  queues = new Map<string, string[]>();
  constructor(private readonly waitMs: number) {}
  async send(cmd: { constructor: { name: string }; input: any }): Promise<any> {
    const name = cmd.constructor.name;
    const url = cmd.input.QueueUrl as string;
    if (name === 'ReceiveMessageCommand') {
      this.receives.set(url, (this.receives.get(url) ?? 0) + 1);
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const q = this.queues.get(url) ?? [];
      if (!q.length) await new Promise((r) => setTimeout(r, this.waitMs));
      this.inFlight -= 1;
      const bodies = q.splice(0, 10);
      return {
        Messages: bodies.map((b, i) => ({
          Body: b,
          MessageId: `${url}#${i}`,
          ReceiptHandle: `${url}|${b}`,
          Attributes: { ApproximateReceiveCount: '2' },
        })),
      };
    }
    if (name === 'DeleteMessageBatchCommand') {
      for (const e of cmd.input.Entries) this.deleted.push(e.ReceiptHandle);
      return {};
    }
    if (name === 'ChangeMessageVisibilityCommand') {
      this.visibility.push({ handle: cmd.input.ReceiptHandle, timeout: cmd.input.VisibilityTimeout });
      return {};
    }
    if (name === 'ChangeMessageVisibilityBatchCommand') return {};
    throw new Error(`unexpected ${name}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('300 clients, 20 pollers: concurrency bounded, every client polled, no tight loop', async () => {
  const cache = new FakeCache(Array.from({ length: 300 }, (_, i) => client(`c${i}`)));
  const sqs = new FakeSqs(50);
  const handler = { handle: async () => ({ outcome: 'replied' as const }) } as unknown as CommandHandler;
  const config = { ...sqsConfigFromEnv({}), pollers: 20, clientRefreshMs: 100 };
  const listener = new SqsListener(sqs as unknown as SQSClient, cache, async () => {}, handler, config, log);
  const abort = new AbortController();
  const running = listener.run(abort.signal);
  await sleep(1500);
  abort.abort();
  await running;
  expect(sqs.maxInFlight).toBeLessThanOrEqual(20);
  expect(sqs.receives.size).toBe(300);
  // 20 pollers × 1.5 s / 50 ms per poll ≈ 600 receives at most; empty fast answers are slowed to ≥ 1 s per queue.
  const total = [...sqs.receives.values()].reduce((a, b) => a + b, 0);
  expect(total).toBeLessThanOrEqual(20 * 32);
  expect(Math.max(...sqs.receives.values())).toBeLessThanOrEqual(3);
});

test('handled messages are deleted, failed ones get a back-off visibility; gone or not-Ready clients stop being polled', async () => {
  const cache = new FakeCache([client('a'), client('b')]);
  const sqs = new FakeSqs(20);
  sqs.queues.set('http://sqs/a-in', ['ok-1', 'boom', 'ok-2']);
  const seen: string[] = [];
  const handler = {
    handle: async (t: { name: string }, body: string) => {
      seen.push(`${t.name}:${body}`);
      if (body === 'boom') throw new Error('apiserver down');
      return { outcome: 'replied' as const };
    },
  } as unknown as CommandHandler;
  const config = { ...sqsConfigFromEnv({}), pollers: 4, clientRefreshMs: 50, retryBaseSeconds: 3 };
  const listener = new SqsListener(sqs as unknown as SQSClient, cache, async () => {}, handler, config, log);
  const abort = new AbortController();
  const running = listener.run(abort.signal);
  await sleep(300);
  expect(seen).toEqual(['a:ok-1', 'a:boom', 'a:ok-2']);
  expect(sqs.deleted.sort()).toEqual(['http://sqs/a-in|ok-1', 'http://sqs/a-in|ok-2']);
  // ApproximateReceiveCount 2 → base · 2^(2-1)
  expect(sqs.visibility).toEqual([{ handle: 'http://sqs/a-in|boom', timeout: 6 }]);

  cache.items = [client('a', false)]; // b deleted, a not Ready
  await sleep(200);
  const before = new Map(sqs.receives);
  await sleep(1200);
  abort.abort();
  await running;
  expect(sqs.receives.get('http://sqs/a-in')).toBe(before.get('http://sqs/a-in'));
  expect(sqs.receives.get('http://sqs/b-in')).toBe(before.get('http://sqs/b-in'));
});

test('run again after a stop (leadership lost and regained in the same process): every client is polled again', async () => {
  const cache = new FakeCache([client('a'), client('b')]);
  const sqs = new FakeSqs(1000); // long polls: the stop lands while both are in flight
  const handler = { handle: async () => ({ outcome: 'replied' as const }) } as unknown as CommandHandler;
  const config = { ...sqsConfigFromEnv({}), pollers: 2, clientRefreshMs: 50 };
  const listener = new SqsListener(sqs as unknown as SQSClient, cache, async () => {}, handler, config, log);
  const first = new AbortController();
  const running = listener.run(first.signal);
  await sleep(500);
  first.abort();
  await running;
  const before = new Map(sqs.receives);
  expect(before.get('http://sqs/a-in')).toBeGreaterThan(0);
  const second = new AbortController();
  const again = listener.run(second.signal);
  await sleep(2500);
  second.abort();
  await again;
  for (const url of ['http://sqs/a-in', 'http://sqs/b-in']) expect(sqs.receives.get(url)).toBeGreaterThan(before.get(url)!);
});
