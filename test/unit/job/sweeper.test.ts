// The last-resort sweeper on pure status objects: the job deadline and the per-task stall limit end
// every unfinished job with a readable reason; the job outcome then follows the usual rules.
import { applyDeadlines, expirePending } from '../../../operator/job/sweeper.js';
import { jobSettingsFromEnv } from '../../../operator/config.js';

const sweepOf = (env: NodeJS.ProcessEnv) => jobSettingsFromEnv(env).sweep;
import { finishIfDone, updateOutputs } from '../../../operator/job/lifecycle.js';
import type { TaskStatus, TranscodeJob, TranscodeJobStatus } from '../../../lib/schema/transcode-job.js';
import { jobFixture, taskFixture } from '../../helpers/fixtures.js';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const limits = { jobDeadlineMs: 60_000, maxTimeouts: 3 };

function task(uuid: string, state: number, outputIndex: number, extra: Partial<TaskStatus> = {}): TaskStatus {
  return taskFixture({
    uuid,
    state,
    outputIndex,
    name: `task-${uuid}`,
    placement: { bucket: 'b' },
    createdAt: iso(t0),
    updatedAt: iso(t0),
    ...extra,
  });
}

function job(outputs = 2): TranscodeJob {
  const specs = Array.from({ length: outputs }, (_, i) => ({
    output_type: 'VIDEO' as const,
    output_bucket: 'out-b',
    output_file: `o${i}.mp4`,
    preset: '720p-generic',
  }));
  return jobFixture({ outputs: specs, jobId: 'j1', inputBucket: 'in-b', metadata: { creationTimestamp: iso(t0) } });
}

function running(tasks: TaskStatus[], outputs = 2): TranscodeJobStatus {
  return {
    phase: 'Running',
    tasks,
    outputs: Array.from({ length: outputs }, (_, index) => ({ index, type: 'VIDEO', status: 'Running' as const, bucket: 'out-b' })),
  };
}

test('before the deadline nothing changes', () => {
  const s = running([task('a', 1, 0), task('b', 2, 1, { runner: { name: 'r' }, progress: 40 })]);
  const before = structuredClone(s);
  expect(applyDeadlines(job(), s, t0 + 59_000, limits)).toEqual([]);
  expect(s).toEqual(before);
});

test('past the deadline a never-taken task fails the job with ACTIVITY_TIMEOUT and says why', () => {
  const j = job(1);
  const s = running([task('a', 1, 0)], 1);
  expect(applyDeadlines(j, s, t0 + 60_000, limits)).toEqual(['a']);
  expect(s.tasks![0]!.state).toBe(4);
  expect(s.tasks![0]!.error).toContain('never taken by a runner');
  updateOutputs(j, s, iso(t0 + 60_000));
  expect(finishIfDone(j, s, iso(t0 + 60_000))).toBe(true);
  expect(s.phase).toBe('Failed');
  expect(s.reason).toBe('ACTIVITY_TIMEOUT');
  expect(s.message).toMatch(/deadline of 60 s .*task-a never taken by a runner/);
});

test('a finished output is kept; the unfinished one fails, so the job completes with a partial result', () => {
  const j = job(2);
  const s = running([
    task('a', 3, 0, { result: { bucket: 'out-b', keys: ['o0.mp4'] } }),
    task('b', 2, 1, { runner: { name: 'r9' }, progress: 40 }),
    task('c', 5, 1, { dependsOn: 'b' }),
  ]);
  s.outputs![0]!.status = 'Succeeded';
  expect(applyDeadlines(j, s, t0 + 61_000, limits)).toEqual(['b']);
  expect(s.tasks!.map((t) => t.state)).toEqual([3, 4, 4]); // the dependent task fails with its parent
  expect(s.tasks![2]!.error).toContain('the task it depends on failed');
  expect(s.outputs![1]).toMatchObject({ status: 'Failed', reason: 'ACTIVITY_TIMEOUT' });
  expect(s.outputs![1]!.details).toContain('still running on r9 at 40%');
  expect(finishIfDone(j, s, iso(t0 + 61_000))).toBe(true);
  expect(s.phase).toBe('Succeeded');
  expect(s.message).toContain('output 1 (ACTIVITY_TIMEOUT)');
});

test('a task taken back by the stall watchdog too often fails, whatever the deadline', () => {
  const j = job(1);
  const s = running([task('a', 1, 0, { timeouts: 3 })], 1);
  expect(applyDeadlines(j, s, t0 + 1000, limits)).toEqual(['a']);
  expect(s.tasks![0]!.error).toContain('3 stall timeouts');
  expect(s.outputs![0]).toMatchObject({ status: 'Failed', reason: 'ACTIVITY_TIMEOUT' });
  expect(finishIfDone(j, s, iso(t0 + 1000))).toBe(true);
  expect(s.phase).toBe('Failed');
});

test('a job still queued at its deadline fails with every output named', () => {
  const j = job(2);
  const s: TranscodeJobStatus = { phase: 'Pending', reason: 'ConcurrencyLimit', message: '10 of 10 jobs of client c are running' };
  expirePending(j, s, t0 + 60_000, limits);
  expect(s).toMatchObject({ phase: 'Failed', reason: 'ACTIVITY_TIMEOUT', tasks: [] });
  expect(s.message).toContain('10 of 10 jobs');
  expect(s.outputs!.map((o) => o.status)).toEqual(['Failed', 'Failed']);
});

test('limits: 24 h and 10 timeouts by default, configurable, bad values refused', () => {
  expect(sweepOf({})).toEqual({ jobDeadlineMs: 86_400_000, maxTimeouts: 10 });
  expect(sweepOf({ CT_JOB_DEADLINE_SECONDS: '30', CT_TASK_MAX_TIMEOUTS: '2' })).toEqual({
    jobDeadlineMs: 30_000,
    maxTimeouts: 2,
  });
  expect(() => sweepOf({ CT_JOB_DEADLINE_SECONDS: '0' })).toThrow(/CT_JOB_DEADLINE_SECONDS/);
  expect(() => sweepOf({ CT_TASK_MAX_TIMEOUTS: 'x' })).toThrow(/CT_TASK_MAX_TIMEOUTS/);
});
