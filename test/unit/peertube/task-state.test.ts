// The task state machine of lib/peertube/task-state.ts: the COMPLETING exits a failed success takes.
// (The other transitions are exercised through their users: test/unit/sqs/events.test.ts,
// test/unit/job/plan.test.ts and the api-server integration tests.)
import { TaskState, type TaskStatus, type TranscodeJobStatus } from '../../../lib/schema/transcode-job.js';
import { failCompleting, revertCompleting, startCompleting } from '../../../lib/peertube/task-state.js';

const task = (uuid: string, state: number, extra: Partial<TaskStatus> = {}) =>
  ({ uuid, state, updatedAt: 'then', failures: 0, ...extra }) as any;

test('revertCompleting only moves COMPLETING back to PROCESSING', () => {
  const s = { tasks: [task('u', 9)] };
  expect(revertCompleting(s, 'u', 'now')).toMatchObject({ ok: true });
  expect(s.tasks[0]).toMatchObject({ state: 2, updatedAt: 'now' });
  expect(revertCompleting({ tasks: [task('u', 3)] }, 'u', 'now')).toMatchObject({ ok: false, error: 'not_processing' });
  expect(revertCompleting({ tasks: [] }, 'u', 'now')).toMatchObject({ ok: false, error: 'unknown_task' });
});

test('a reverted completion can complete again (startCompleting accepts it)', () => {
  const s: TranscodeJobStatus = { tasks: [task('u', TaskState.COMPLETING)] };
  revertCompleting(s, 'u', 'now');
  expect(startCompleting(s, 'u', 'later')).toMatchObject({ ok: true, task: { state: TaskState.COMPLETING } });
});

test('failCompleting errors the task for good, whatever its failures, and its children follow', () => {
  const s: TranscodeJobStatus = {
    tasks: [task('p', TaskState.COMPLETING, { jobTokenHash: 'h' }), task('c', TaskState.WAITING_FOR_PARENT_JOB, { dependsOn: 'p' })],
  };
  const r = failCompleting(s, 'p', 'too large', 'now');
  expect(r).toMatchObject({ ok: true, task: { state: TaskState.ERRORED, error: 'too large', failures: 1, finishedAt: 'now' } });
  expect(s.tasks![0]!.jobTokenHash).toBeUndefined();
  expect(s.tasks![1]).toMatchObject({ state: TaskState.PARENT_ERRORED, error: 'Parent error' });
  expect(failCompleting({ tasks: [task('u', TaskState.PROCESSING)] }, 'u', 'x', 'now')).toMatchObject({
    ok: false,
    error: 'not_processing',
  });
  expect(failCompleting({ tasks: [] }, 'u', 'x', 'now')).toMatchObject({ ok: false, error: 'unknown_task' });
});
