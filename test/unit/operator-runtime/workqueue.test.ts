// The work queue's contract: dedup, one worker per key, re-queue of keys changed while processing,
// per-key exponential back-off capped, overall token bucket, requeue-after keeping the earliest time.
import { WorkQueue } from '../../../operator/runtime/workqueue.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a key added many times is queued once', async () => {
  const q = new WorkQueue<string>();
  q.add('a');
  q.add('a');
  q.add('b');
  q.add('a');
  expect(q.length).toBe(2);
  expect(await q.get()).toBe('a');
  expect(await q.get()).toBe('b');
  expect(q.length).toBe(0);
});

test('a key added while processing is not handed out twice, and comes back once after done()', async () => {
  const q = new WorkQueue<string>();
  q.add('a');
  const k = await q.get();
  expect(k).toBe('a');
  q.add('a');
  q.add('a');
  expect(q.length).toBe(0); // not handed to a second worker while the first still has it
  let second: string | undefined;
  void q.get().then((x) => (second = x));
  await tick(5);
  expect(second).toBeUndefined();
  q.done('a');
  await tick(5);
  expect(second).toBe('a');
  q.done('a');
  expect(q.length).toBe(0);
});

test('per-key back-off doubles from the base delay and is capped; forget() resets it', () => {
  const q = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 1000, qps: 1000, burst: 1000 });
  const delays = [1, 2, 3, 4, 5, 6].map(() => q.addRateLimited('k'));
  expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
  expect(q.numRequeues('k')).toBe(6);
  expect(q.addRateLimited('other')).toBe(100); // independent per key
  q.forget('k');
  expect(q.nextDelay('k')).toBe(100);
  q.shutdown();
});

test('the overall token bucket delays a storm of failures beyond the burst', () => {
  let now = 0;
  const q = new WorkQueue<string>({ baseDelayMs: 1, maxDelayMs: 10, qps: 10, burst: 5, now: () => now });
  const delays = Array.from({ length: 8 }, (_, i) => q.addRateLimited(`k${i}`));
  expect(delays.slice(0, 5)).toEqual([1, 1, 1, 1, 1]);
  expect(delays[5]).toBe(100);
  expect(delays[6]).toBe(200);
  expect(delays[7]).toBe(300);
  now += 10_000; // the bucket refills
  expect(q.addRateLimited('later')).toBe(1);
  q.shutdown();
});

test('rate-limited keys come back after their delay, not before', async () => {
  const q = new WorkQueue<string>({ baseDelayMs: 60, qps: 1000, burst: 1000 });
  q.addRateLimited('x');
  const started = Date.now();
  expect(await q.get()).toBe('x');
  expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  q.done('x');
  q.shutdown();
});

test('addAfter keeps the earliest pending time and an immediate add is not blocked by it', async () => {
  const q = new WorkQueue<string>();
  q.addAfter('a', 10_000);
  q.addAfter('a', 30);
  q.addAfter('a', 20_000);
  expect(q.delayed).toBe(1);
  const started = Date.now();
  expect(await q.get()).toBe('a');
  expect(Date.now() - started).toBeLessThan(5000);
  q.done('a');
  q.add('b');
  expect(await q.get()).toBe('b');
  q.shutdown();
});

test('shutdown releases waiting workers and ignores later adds', async () => {
  const q = new WorkQueue<string>();
  const waiting = q.get();
  q.shutdown();
  expect(await waiting).toBeUndefined();
  q.add('a');
  expect(await q.get()).toBeUndefined();
});
