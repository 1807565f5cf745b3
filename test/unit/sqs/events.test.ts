// What the publisher sends for a job's state, in order, and that recorded keys are never sent again.
import { planMessages, JOB_END_KEY, attemptOf } from '../../../lib/ct/events.js';
import { acceptTask, startCompleting, completeTask, errorTask, cancelTask, abortTask } from '../../../lib/peertube/task-state.js';
import type { TranscodeJob, TaskStatus } from '../../../lib/schema/transcode-job.js';
import { FIXTURE_NOW as NOW, jobFixture, taskFixture } from '../../helpers/fixtures.js';
import type { OutputSpec } from '../../../lib/schema/ct-job.js';

function task(uuid: string, outputIndex: number): TaskStatus {
  return taskFixture({ uuid, outputIndex, name: `output ${outputIndex} VIDEO` });
}

function job(): TranscodeJob {
  return jobFixture({
    outputs: [
      { output_type: 'VIDEO', output_bucket: 'out', output_file: 'a/sd.mp4', preset: '480p-16.9-generic' },
      { output_type: 'THUMB', output_bucket: 'out', output_file: 'a/t.jpg', size: '320x180' },
      { output_type: 'VIDEO', output_bucket: 'out', output_file: 'a/hd.mp4', preset: '1080p-generic' },
    ] as OutputSpec[],
    status: { phase: 'Pending' },
  });
}

const types = (j: TranscodeJob, published: Set<string>, requireWorkflow = true) =>
  planMessages(j, published, { requireWorkflow }).map((p) => p.message.type);

/** Simulates the publisher: plan, "send", record keys. */
function drain(j: TranscodeJob, published: Set<string>): string[] {
  const planned = planMessages(j, published, { requireWorkflow: true });
  for (const p of planned) if (p.key) published.add(p.key);
  return planned.map(
    (p) => `${p.message.type}${p.message.data && 'activity' in p.message.data ? `:${(p.message.data as any).activity.activityId}` : ''}`,
  );
}

test('nothing before the workflow exists (SWF on); JOB_STARTED first with the job data as workflow.input', () => {
  const j = job();
  j.status = { phase: 'Probing' };
  expect(types(j, new Set())).toEqual([]);
  expect(types(j, new Set(), false)).toEqual(['JOB_STARTED', 'ACTIVITY_STARTED']);
  j.status.workflow = { workflowId: 'ct-uid-1', runId: 'run-1' };
  const planned = planMessages(j, new Set(), { requireWorkflow: true });
  expect(planned[0]!.message).toMatchObject({
    type: 'JOB_STARTED',
    job_id: 'job-1',
    data: { workflow: { workflowId: 'ct-uid-1', runId: 'run-1', input: j.spec.job } },
  });
  expect(planned[1]!.message).toMatchObject({
    type: 'ACTIVITY_STARTED',
    data: {
      workflow: { workflowId: 'ct-uid-1', runId: 'run-1' },
      activity: { activityId: 'validate-uid-1', activityType: { name: 'ValidateInputAndAsset', version: 'v1' }, input: j.spec.job },
    },
  });
  // times increase in protocol order
  expect(planned[1]!.message.time).toBeGreaterThan(planned[0]!.message.time);
});

test('a full job: every task sequence in order, JOB_COMPLETED last with outputs and failures; nothing twice', () => {
  const j = job();
  const published = new Set<string>();
  const st = j.status!;
  st.workflow = { workflowId: 'ct-uid-1', runId: 'run-1' };
  st.phase = 'Probing';
  expect(drain(j, published)).toEqual(['JOB_STARTED', 'ACTIVITY_STARTED:validate-uid-1']);
  st.probe = { duration: 10 };
  st.phase = 'Running';
  st.tasks = [task('t0', 0), task('t1', 1)];
  st.outputs = [
    { index: 0, type: 'VIDEO', status: 'Running' },
    { index: 1, type: 'THUMB', status: 'Running' },
    { index: 2, type: 'VIDEO', status: 'Failed', reason: 'ENLARGEMENT_ERROR', details: 'output larger than input' },
  ];
  expect(drain(j, published)).toEqual([
    'ACTIVITY_COMPLETED:validate-uid-1',
    'ACTIVITY_STARTED:output-2-uid-1',
    'ACTIVITY_FAILED:output-2-uid-1',
  ]);
  expect(drain(j, published)).toEqual([]);

  acceptTask(st, 't0', { name: 'r1' }, 'h', NOW);
  expect(drain(j, published)).toEqual(['ACTIVITY_STARTED:t0', 'ACTIVITY_PREPARING:t0']);
  st.tasks[0]!.progress = 40;
  const progress = planMessages(j, published, { requireWorkflow: true });
  expect(progress).toHaveLength(1);
  expect(progress[0]!.key).toBeUndefined();
  expect(progress[0]!.message).toMatchObject({
    type: 'ACTIVITY_PROGRESS',
    data: { activity: { activityId: 't0', duration: 10, done: 4, progress: 40 } },
  });

  // t1 goes all the way between two observations: the whole sequence is still sent, in order.
  acceptTask(st, 't1', { name: 'r2' }, 'h', NOW);
  startCompleting(st, 't1', NOW);
  completeTask(st, 't1', { bucket: 'out', keys: ['a/t.jpg'] }, NOW);
  expect(drain(j, published)).toEqual([
    'ACTIVITY_PROGRESS:t0',
    'ACTIVITY_STARTED:t1',
    'ACTIVITY_PREPARING:t1',
    'ACTIVITY_FINISHING:t1',
    'ACTIVITY_COMPLETED:t1',
  ]);
  startCompleting(st, 't0', NOW);
  expect(drain(j, published)).toEqual(['ACTIVITY_FINISHING:t0']);
  completeTask(st, 't0', { bucket: 'out', keys: ['a/sd.mp4'] }, NOW);
  st.outputs[0]!.status = 'Succeeded';
  st.outputs[0]!.bucket = 'out';
  st.outputs[0]!.keys = ['a/sd.mp4'];
  st.outputs[1]!.status = 'Succeeded';
  st.phase = 'Succeeded';
  const end = planMessages(j, published, { requireWorkflow: true });
  expect(end.map((p) => p.message.type)).toEqual(['ACTIVITY_COMPLETED', 'JOB_COMPLETED']);
  expect(end[1]!.key).toBe(JOB_END_KEY);
  expect(end[1]!.message.data).toMatchObject({
    workflow: { workflowId: 'ct-uid-1', runId: 'run-1' },
    failed: [2],
    outputs: [
      { index: 0, output_type: 'VIDEO', status: 'Succeeded', bucket: 'out', keys: ['a/sd.mp4'] },
      { index: 1, output_type: 'THUMB', status: 'Succeeded' },
      { index: 2, output_type: 'VIDEO', status: 'Failed', reason: 'ENLARGEMENT_ERROR' },
    ],
  });
  for (const p of end) if (p.key) published.add(p.key);
  expect(planMessages(j, published, { requireWorkflow: true })).toEqual([]);
});

test('retries: a failed attempt then a new one gives a new ACTIVITY_STARTED; 5 failures → ACTIVITY_FAILED TRANSCODE_FAIL', () => {
  const j = job();
  const st = j.status!;
  st.workflow = { workflowId: 'w', runId: 'r' };
  st.phase = 'Running';
  st.probe = { duration: 5 };
  st.tasks = [task('t0', 0)];
  const published = new Set<string>();
  drain(j, published);
  for (let i = 0; i < 5; i++) {
    acceptTask(st, 't0', { name: 'r' }, 'h', NOW);
    expect(attemptOf(st.tasks[0]!)).toBe(i);
    expect(drain(j, published)).toEqual(['ACTIVITY_STARTED:t0', 'ACTIVITY_PREPARING:t0']);
    errorTask(st, 't0', `boom ${i}`, NOW);
  }
  const failed = planMessages(j, published, { requireWorkflow: true });
  expect(failed.map((p) => p.message.type)).toEqual(['ACTIVITY_FAILED']);
  expect(failed[0]!.message.data).toMatchObject({ activity: { activityId: 't0', reason: 'TRANSCODE_FAIL', details: 'boom 4' } });
});

test('watchdog take-back → ACTIVITY_TIMEOUT, then the next attempt starts again', () => {
  const j = job();
  const st = j.status!;
  st.workflow = { workflowId: 'w', runId: 'r' };
  st.phase = 'Running';
  st.probe = { duration: 5 };
  st.tasks = [task('t0', 0)];
  const published = new Set<string>();
  drain(j, published);
  acceptTask(st, 't0', { name: 'r' }, 'h', NOW);
  drain(j, published);
  abortTask(st, 't0', NOW);
  st.tasks[0]!.timeouts = 1;
  const timeout = planMessages(j, published, { requireWorkflow: true });
  expect(timeout.map((p) => p.message.type)).toEqual(['ACTIVITY_TIMEOUT']);
  expect(timeout[0]!.message.data).toMatchObject({
    activity: { activityId: 't0', status: 'TIMED_OUT', activityType: { name: 'TranscodeAsset', version: 'v1' } },
  });
  for (const p of timeout) published.add(p.key!);
  acceptTask(st, 't0', { name: 'r2' }, 'h', NOW);
  expect(drain(j, published)).toEqual(['ACTIVITY_STARTED:t0', 'ACTIVITY_PREPARING:t0']);
});

test('cancel: running task canceled → ACTIVITY_CANCELED, JOB_CANCELED last', () => {
  const j = job();
  j.spec.cancel = true;
  const st = j.status!;
  st.workflow = { workflowId: 'w', runId: 'r' };
  st.phase = 'Running';
  st.probe = { duration: 5 };
  st.tasks = [task('t0', 0), task('t1', 1)];
  const published = new Set<string>();
  drain(j, published);
  acceptTask(st, 't0', { name: 'r' }, 'h', NOW);
  cancelTask(st, 't0', NOW);
  cancelTask(st, 't1', NOW);
  st.phase = 'Canceled';
  const msgs = planMessages(j, published, { requireWorkflow: true });
  expect(msgs.map((p) => p.message.type)).toEqual([
    'ACTIVITY_STARTED',
    'ACTIVITY_PREPARING',
    'ACTIVITY_CANCELED',
    'ACTIVITY_CANCELED',
    'JOB_CANCELED',
  ]);
  expect(msgs[4]!.message.data).toMatchObject({ reason: 'JOB_CANCELED' });
});

test('probe failure: validation activity fails, then JOB_FAILED with the reason (also without a workflow run)', () => {
  const j = job();
  j.status = { phase: 'Failed', reason: 'S3_OPS_FAILED', message: 'input object inb/a.mp4 does not exist' };
  const msgs = planMessages(j, new Set(), { requireWorkflow: true });
  expect(msgs.map((p) => p.message.type)).toEqual(['JOB_STARTED', 'ACTIVITY_STARTED', 'ACTIVITY_FAILED', 'JOB_FAILED']);
  expect(msgs[2]!.message.data).toMatchObject({ activity: { reason: 'S3_OPS_FAILED' } });
  expect(msgs[3]!.message.data).toMatchObject({ reason: 'S3_OPS_FAILED', details: 'input object inb/a.mp4 does not exist' });
});
