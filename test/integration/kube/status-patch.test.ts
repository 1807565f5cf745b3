// The guarded JSON Patch status writes (lib/kube/status.ts, docs/status-writes.md) against the real
// kube-apiserver: writers of different tasks (and the operator's job-level progress) computed from
// one stale read all land without a conflict, where the old replace+resourceVersion write conflicts;
// two writers of the same field conflict once and the loser recomputes; two accepts of one task
// from one read: exactly one wins; escaped keys, an absent status and validation errors behave.
import { randomUUID } from 'node:crypto';
import { createJobWithTasks, createNamespace, getJob, objects } from '../api-server/harness.js';
import { kc } from '../api-server/harness.js';
import { GROUP, VERSION, API_VERSION } from '../../../lib/kube/resources.js';
import {
  ConflictError,
  onStatusWrite,
  setStatusWriteMode,
  updateStatus,
  writeStatusOnce,
  type StatusWriteEvent,
} from '../../../lib/kube/status.js';
import { acceptTask, updateTaskProgress } from '../../../lib/peertube/task-state.js';
import { reconcileGuards, taskGuards } from '../../../lib/jobs/status-guards.js';
import { TaskState, type TranscodeJob } from '../../../lib/schema/transcode-job.js';

let ns: string;
const events: StatusWriteEvent[] = [];
const conflicts = (writer?: string) => events.filter((e) => e.outcome === 'conflict' && (!writer || e.writer === writer)).length;

beforeAll(async () => {
  ns = await createNamespace('kube-patch');
  onStatusWrite((e) => events.push(e));
});

afterEach(() => {
  setStatusWriteMode(undefined);
  events.length = 0;
});

/** A job with `k` tasks, all taken by runners (PROCESSING). */
async function processingJob(k: number): Promise<TranscodeJob> {
  const job = await createJobWithTasks(ns, Array(k).fill({}));
  const written = await updateStatus<TranscodeJob>(kc, 'TranscodeJob', ns, job.metadata.name!, (j) => {
    for (const t of j.status!.tasks!) acceptTask(j.status!, t.uuid, { name: `r-${t.uuid}` }, `hash-${t.uuid}`, new Date().toISOString());
    return true;
  });
  return written!;
}

/** What the api-server does for one progress update (TaskWriter.apply), from the copy `cached`. */
function progressWrite(cached: TranscodeJob, uuid: string, value: number): Promise<TranscodeJob | undefined> {
  return updateStatus<TranscodeJob>(
    kc,
    'TranscodeJob',
    ns,
    cached.metadata.name!,
    (j) => updateTaskProgress(j.status!, uuid, value, new Date().toISOString()).ok,
    { current: cached, writer: 'progress', guard: (before) => taskGuards(before, uuid) },
  );
}

/** What the operator does for a coalesced job progress write (JobWriter), from the copy `cached`. */
function operatorProgress(cached: TranscodeJob, value: number): Promise<TranscodeJob | undefined> {
  return updateStatus<TranscodeJob>(
    kc,
    'TranscodeJob',
    ns,
    cached.metadata.name!,
    (j) => {
      j.status!.progress = value;
      return true;
    },
    { current: cached, writer: 'job', guard: reconcileGuards },
  );
}

async function concurrentProgress(k: number): Promise<{ job: TranscodeJob; stored: TranscodeJob }> {
  const job = await processingJob(k);
  const uuids = job.status!.tasks!.map((t) => t.uuid);
  // Every writer starts from the same read: each one's copy is stale as soon as another one lands.
  await Promise.all([...uuids.map((u, i) => progressWrite(job, u, 10 + i)), operatorProgress(job, 42)]);
  return { job, stored: await getJob(ns, job.metadata.name!) };
}

test('progress of different tasks and the job-level progress from one read: all land, no 409/422 (replace+resourceVersion conflicts)', async () => {
  const { stored } = await concurrentProgress(5);
  expect(stored.status!.tasks!.map((t) => t.progress)).toEqual([10, 11, 12, 13, 14]);
  expect(stored.status!.progress).toBe(42);
  expect(conflicts()).toBe(0);
  expect(events.filter((e) => e.outcome === 'written' && e.writer !== 'other')).toHaveLength(6);

  // The same writes in the old mode: every writer but the first conflicts at least once.
  events.length = 0;
  setStatusWriteMode('replace');
  const old = await concurrentProgress(5);
  expect(old.stored.status!.tasks!.map((t) => t.progress)).toEqual([10, 11, 12, 13, 14]);
  expect(conflicts()).toBeGreaterThanOrEqual(5);
});

test('two writers of the same field from one read: one conflicts, recomputes from the fresh object, both increments count', async () => {
  const job = await processingJob(1);
  const calls: number[] = [];
  const bump = () =>
    updateStatus<TranscodeJob>(
      kc,
      'TranscodeJob',
      ns,
      job.metadata.name!,
      (j) => {
        const t = j.status!.tasks![0]!;
        calls.push(t.failures);
        t.failures += 1;
        return true;
      },
      { current: job, writer: 'bump' },
    );
  await Promise.all([bump(), bump()]);
  expect((await getJob(ns, job.metadata.name!)).status!.tasks![0]!.failures).toBe(2);
  expect(conflicts('bump')).toBe(1);
  expect(calls.sort()).toEqual([0, 0, 1]); // both from the stale copy, the loser again from the fresh one
  // A writer that keeps losing gives up with a ConflictError (a test of a value that is long gone).
  const stale = structuredClone(job);
  await expect(
    updateStatus<TranscodeJob>(
      kc,
      'TranscodeJob',
      ns,
      job.metadata.name!,
      (j) => {
        j.status!.tasks![0]!.failures = 99;
        return true;
      },
      { current: stale, maxAttempts: 1 },
    ),
  ).rejects.toBeInstanceOf(ConflictError);
});

test('two accepts of one task from one read: exactly one wins, the other is a conflict; a stale copy does not lose an untaken task', async () => {
  const job = await createJobWithTasks(ns, [{}, {}]);
  const [a, b] = job.status!.tasks!.map((t) => t.uuid) as [string, string];
  const acceptFrom = (base: TranscodeJob, uuid: string, who: string) => {
    const next = structuredClone(base);
    expect(acceptTask(next.status!, uuid, { name: who }, `hash-${who}`, new Date().toISOString()).ok).toBe(true);
    return writeStatusOnce(kc, 'TranscodeJob', next, base, { writer: 'accept', guard: (before) => taskGuards(before, uuid) });
  };
  const results = await Promise.all([acceptFrom(job, a, 'one'), acceptFrom(job, a, 'two')]);
  const won = results.filter((r) => typeof r === 'object');
  expect(won).toHaveLength(1);
  expect(results.filter((r) => r === 'conflict')).toHaveLength(1);
  const stored = await getJob(ns, job.metadata.name!);
  const winner = (won[0] as TranscodeJob).status!.tasks![0]!.runner!.name;
  expect(stored.status!.tasks![0]).toMatchObject({ state: TaskState.PROCESSING, runner: { name: winner }, jobTokenHash: `hash-${winner}` });
  // Task b is still pending: an accept from the same (now stale) read takes it at once.
  expect(typeof (await acceptFrom(job, b, 'three'))).toBe('object');
  expect(conflicts('accept')).toBe(1);
  // The task is taken: one more accept from the old read conflicts, and nothing changed.
  expect(await acceptFrom(job, a, 'four')).toBe('conflict');
  expect((await getJob(ns, job.metadata.name!)).status!.tasks![0]!.runner!.name).toBe(winner);
});

test('keys with / and ~ are escaped; an absent status is guarded by the resourceVersion; a validation error is no conflict', async () => {
  const job = await createJobWithTasks(ns, [{ payload: { input: {}, output: { 'a/b': 1, 'c~d': 2 } } }]);
  const written = await updateStatus<TranscodeJob>(kc, 'TranscodeJob', ns, job.metadata.name!, (j) => {
    j.status!.tasks![0]!.payload = { input: {}, output: { 'a/b': 10, 'c~d': 20, '~/': 3 } };
    return true;
  });
  expect(written!.status!.tasks![0]!.payload).toEqual({ input: {}, output: { 'a/b': 10, 'c~d': 20, '~/': 3 } });
  expect(conflicts()).toBe(0);

  const name = `bare-${randomUUID().slice(0, 8)}`;
  const bare = (await objects.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: 'transcodejobs',
    body: {
      apiVersion: API_VERSION,
      kind: 'TranscodeJob',
      metadata: { name },
      spec: { clientRef: { name: 'test' }, jobId: name, job: job.spec.job },
    },
  })) as TranscodeJob;
  const first = (phase: 'Pending' | 'Running') => {
    const next = structuredClone(bare);
    next.status = { phase };
    return writeStatusOnce(kc, 'TranscodeJob', next, bare);
  };
  expect(typeof (await first('Pending'))).toBe('object');
  expect(await first('Running')).toBe('conflict'); // would have replaced the status someone else just wrote
  expect((await getJob(ns, name)).status).toEqual({ phase: 'Pending' });

  await expect(
    updateStatus<TranscodeJob>(kc, 'TranscodeJob', ns, job.metadata.name!, (j) => {
      j.status!.progress = 500; // the CRD allows 0..100
      return true;
    }),
  ).rejects.toThrow(/progress/);
  expect(conflicts()).toBe(1); // only the absent-status race above
});
