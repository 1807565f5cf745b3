// Which status changes the job reconciler writes at once and which ride along with the next write
// (operator/job/active.ts mustWriteNow), and the first-accept timestamp.
import { mustWriteNow, noteFirstAccept, scheduledTaken } from '../../../operator/job/active.js';
import { TaskState, type TaskStatus, type TranscodeJobStatus } from '../../../lib/schema/transcode-job.js';

const now = '2026-01-01T00:00:00.000Z';
const task = (uuid: string, over: Partial<TaskStatus> = {}): TaskStatus => ({
  uuid,
  type: 'ct-thumbnails',
  name: `output 0 THUMB ${uuid}`,
  outputIndex: 0,
  state: TaskState.PROCESSING,
  priority: 100,
  payload: {},
  inputs: {},
  placement: { bucket: 'out' },
  failures: 0,
  createdAt: now,
  updatedAt: now,
  swf: { activityId: uuid, scheduled: true, taskToken: `token-${uuid}` },
  ...over,
});
const stored = (): TranscodeJobStatus => ({
  phase: 'Running',
  progress: 10,
  tasks: [task('a'), task('b', { state: TaskState.PENDING, swf: { activityId: 'b', scheduled: true } })],
  outputs: [{ index: 0, type: 'THUMB', status: 'Pending' }],
  timing: { admitted: now, planned: now },
});

test('progress, an output going Running, an activity closed and timing.firstAccepted can wait', () => {
  const next = stored();
  next.progress = 60;
  next.outputs![0]!.status = 'Running';
  next.tasks![0]!.swf = { activityId: 'a', scheduled: true, closed: true };
  next.timing!.firstAccepted = now;
  expect(mustWriteNow(stored(), next)).toBe(false);
  expect(mustWriteNow(stored(), stored())).toBe(false);
});

test('a new task token, an activity scheduled, a new attempt, an outcome or a phase are written at once', () => {
  const token = stored();
  token.tasks![1]!.swf!.taskToken = 'token-b';
  expect(mustWriteNow(stored(), token)).toBe(true);

  const scheduled = stored();
  scheduled.tasks![1]!.swf = { activityId: 'b' };
  expect(mustWriteNow(scheduled, stored())).toBe(true);

  const attempt = stored();
  attempt.tasks![0]!.swf = { activityId: 'a.1', attempt: 1, round: 1, scheduled: false };
  expect(mustWriteNow(stored(), attempt)).toBe(true);

  const output = stored();
  output.outputs![0]!.status = 'Succeeded';
  expect(mustWriteNow(stored(), output)).toBe(true);

  const phase = stored();
  phase.phase = 'Succeeded';
  expect(mustWriteNow(stored(), phase)).toBe(true);

  const workflow = stored();
  workflow.workflow = { workflowId: 'w', runId: 'r', closed: true };
  expect(mustWriteNow({ ...stored(), workflow: { workflowId: 'w', runId: 'r' } }, workflow)).toBe(true);
});

test('timing.firstAccepted: the earliest accept, set once', () => {
  const s = stored();
  s.tasks![0]!.startedAt = '2026-01-01T00:00:02.000Z';
  s.tasks![1]!.startedAt = '2026-01-01T00:00:01.000Z';
  noteFirstAccept(s);
  expect(s.timing).toEqual({ admitted: now, planned: now, firstAccepted: '2026-01-01T00:00:01.000Z' });
  s.tasks![0]!.startedAt = '2026-01-01T00:00:00.500Z';
  noteFirstAccept(s);
  expect(s.timing!.firstAccepted).toBe('2026-01-01T00:00:01.000Z');
  const none = stored();
  noteFirstAccept(none);
  expect(none.timing!.firstAccepted).toBeUndefined();
});

test('an activity scheduled for a task a runner already took is started in the same reconcile', () => {
  const s = stored();
  s.tasks![0]!.swf = { activityId: 'a' }; // PROCESSING, not scheduled yet
  s.tasks![1]!.swf = { activityId: 'b' }; // PENDING
  const facts = (uuids: string[]) => ({ tasks: new Map(uuids.map((u) => [u, { activityId: u, scheduled: true }])) });
  expect(scheduledTaken(s, facts(['a', 'b']))).toBe(true);
  expect(scheduledTaken(s, facts(['b']))).toBe(false); // still waiting for a runner: nothing to start
  expect(scheduledTaken(stored(), facts(['a']))).toBe(false); // scheduled before: started as usual
});
