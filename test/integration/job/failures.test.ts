// Failure paths, each with CR status and SWF history agreeing: missing input, corrupt input,
// enlargement refused, a task failing 5 times, a stalled task re-queued then finished, cancel while
// running, and the client's concurrency limit.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { setupHarness, activityTimeline, eventTypes, type Harness } from './harness.js';
import { updateStatus } from '../../../lib/kube/status.js';
import { completeTask } from '../../../lib/peertube/task-state.js';
import type { TranscodeJob } from '../../../lib/schema/transcode-job.js';
import { GROUP, VERSION } from '../../../lib/kube/resources.js';

let h: Harness;
const closed = (j: TranscodeJob) => !!j.status?.workflow?.closed;

beforeAll(async () => {
  h = await setupHarness({ stallSeconds: 3 });
  await h.startOperator();
});
afterAll(async () => {
  await h?.close();
});

async function patchSpec(kind: 'transcodejobs' | 'transcodeclients', name: string, spec: Record<string, unknown>): Promise<void> {
  await h.kc
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: h.ns, plural: kind, name, body: { spec } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
}

async function expectWorkflowFailed(j: TranscodeJob, reason: string): Promise<void> {
  const events = await h.history(j);
  const failed = events.find((e) => e.eventType === 'WorkflowExecutionFailed');
  expect(failed?.workflowExecutionFailedEventAttributes?.reason).toBe(reason);
}

test('missing input object: Failed S3_OPS_FAILED, workflow failed', async () => {
  await h.createJob('missing', [{ output_type: 'VIDEO', preset: '360p-16.9-generic' }], { inputFile: '/videos/nope.mp4' });
  const j = await h.runner.waitJob('missing', 'Failed', (x) => x.status?.phase === 'Failed' && closed(x));
  expect(j.status).toMatchObject({ reason: 'S3_OPS_FAILED', tasks: [] });
  expect(j.status!.message).toContain('does not exist');
  expect(j.status!.outputs![0]).toMatchObject({ status: 'Failed', reason: 'S3_OPS_FAILED' });
  await expectWorkflowFailed(j, 'S3_OPS_FAILED');
  // `kubectl describe` tells the same story.
  const events = await h.kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: h.ns, fieldSelector: 'involvedObject.name=missing' });
  expect(events.items.map((e) => [e.type, e.reason])).toContainEqual(['Warning', 'S3_OPS_FAILED']);
});

test('corrupt input: Failed GET_VIDEO_INFO_FAILED with the ffprobe message, workflow failed', async () => {
  await h.createJob('corrupt', [{ output_type: 'VIDEO', preset: '360p-16.9-generic' }], { inputFile: '/videos/corrupt.mp4' });
  const j = await h.runner.waitJob('corrupt', 'Failed', (x) => x.status?.phase === 'Failed' && closed(x));
  expect(j.status!.reason).toBe('GET_VIDEO_INFO_FAILED');
  expect(j.status!.message).toMatch(/ffprobe cannot read s3:\/\/.*corrupt\.mp4/);
  expect(j.status!.message).not.toMatch(/X-Amz-Signature/);
  await expectWorkflowFailed(j, 'GET_VIDEO_INFO_FAILED');
});

test('enlargement refused: the only output fails with ENLARGEMENT_ERROR, so does the job', async () => {
  await h.createJob('enlarge', [{ output_type: 'VIDEO', preset: '1080p-generic' }]);
  const j = await h.runner.waitJob('enlarge', 'Failed', (x) => x.status?.phase === 'Failed' && closed(x));
  expect(j.status!.reason).toBe('ENLARGEMENT_ERROR');
  expect(j.status!.outputs![0]).toMatchObject({ status: 'Failed', reason: 'ENLARGEMENT_ERROR' });
  expect(j.status!.outputs![0]!.details).toContain('1920x1080 is larger than the input 640x360');
  await expectWorkflowFailed(j, 'ENLARGEMENT_ERROR');
  expect(activityTimeline(await h.history(j)).size).toBe(0);
});

test('a task failing 5 times: errored, output TRANSCODE_FAIL, 5 failed SWF attempts', async () => {
  await h.createJob('fail5', [{ output_type: 'THUMB', size: '64x36', output_file: '/out/fail5/t.jpg' }]);
  const planned = await h.runner.waitJob('fail5', 'planned', (x) => (x.status?.tasks?.length ?? 0) === 1);
  const uuid = planned.status!.tasks![0]!.uuid;
  for (let i = 0; i < 5; i++) {
    const activityId = i === 0 ? uuid : `${uuid}.${i}`;
    await h.runner.waitSwf('fail5', uuid, activityId, (t) => t.state === 1 && !!t.swf?.scheduled);
    await h.runner.accept('fail5', uuid);
    await h.runner.waitSwf('fail5', uuid, activityId, (t) => !!t.swf?.taskToken);
    await h.runner.error('fail5', uuid, `ffmpeg exploded ${i + 1}`);
  }
  const j = await h.runner.waitJob('fail5', 'Failed', (x) => x.status?.phase === 'Failed' && closed(x));
  expect(j.status!.tasks![0]).toMatchObject({ state: 4, failures: 5, error: 'ffmpeg exploded 5' });
  expect(j.status!.outputs![0]).toMatchObject({ status: 'Failed', reason: 'TRANSCODE_FAIL' });
  expect(j.status!.reason).toBe('TRANSCODE_FAIL');
  const events = await h.history(j);
  const timeline = activityTimeline(events);
  expect([...timeline.keys()]).toEqual([uuid, `${uuid}.1`, `${uuid}.2`, `${uuid}.3`, `${uuid}.4`]);
  for (const seq of timeline.values()) expect(seq).toEqual(['Scheduled', 'Started', 'Failed']);
  const details = events.filter((e) => e.eventType === 'ActivityTaskFailed').map((e) => e.activityTaskFailedEventAttributes!.details);
  expect(details).toEqual([1, 2, 3, 4, 5].map((n) => `ffmpeg exploded ${n}`));
  await expectWorkflowFailed(j, 'TRANSCODE_FAIL');
});

test('a stalled task is re-queued by the watchdog (ACTIVITY_TIMEOUT in SWF), then finished', async () => {
  await h.createJob('stall', [{ output_type: 'THUMB', size: '64x36', snapshot_sec: 1, output_file: '/out/stall/snap.jpg' }]);
  const planned = await h.runner.waitJob('stall', 'planned', (x) => (x.status?.tasks?.length ?? 0) === 1);
  const uuid = planned.status!.tasks![0]!.uuid;
  await h.runner.waitSwf('stall', uuid, uuid, (t) => !!t.swf?.scheduled);
  await h.runner.accept('stall', uuid);
  await h.runner.waitSwf('stall', uuid, uuid, (t) => !!t.swf?.taskToken);
  // The runner goes silent: after CT_STALL_SECONDS=3 the task is pending again, timeouts = 1.
  const requeued = await h.runner.waitSwf('stall', uuid, `${uuid}.1`, (t) => t.state === 1 && !!t.swf?.scheduled);
  expect(requeued).toMatchObject({ timeouts: 1, failures: 0 });
  expect(requeued.runner).toBeUndefined();
  await h.runner.run('stall', uuid);
  const j = await h.runner.waitJob('stall', 'Succeeded', (x) => x.status?.phase === 'Succeeded' && closed(x));
  expect(j.status!.outputs![0]).toMatchObject({ status: 'Succeeded', keys: ['out/stall/snap.jpg'] });
  const events = await h.history(j);
  const timeline = activityTimeline(events);
  expect(timeline.get(uuid)).toEqual(['Scheduled', 'Started', 'Failed']);
  expect(timeline.get(`${uuid}.1`)).toEqual(['Scheduled', 'Started', 'Completed']);
  expect(events.find((e) => e.eventType === 'ActivityTaskFailed')!.activityTaskFailedEventAttributes!.reason).toBe('ACTIVITY_TIMEOUT');
  expect(eventTypes(events)).toContain('WorkflowExecutionCompleted');
});

test('cancel while running: Canceled, the runner cannot complete, workflow terminated', async () => {
  await h.createJob('cancel', [
    { output_type: 'THUMB', size: '64x36', output_file: '/out/cancel/t.jpg' },
    { output_type: 'VIDEO', preset: '360p-16.9-generic', output_file: '/out/cancel/v.mp4' },
  ]);
  const planned = await h.runner.waitJob('cancel', 'planned', (x) => (x.status?.tasks?.length ?? 0) === 2);
  const uuid = planned.status!.tasks![0]!.uuid;
  await h.runner.waitSwf('cancel', uuid, uuid, (t) => !!t.swf?.scheduled);
  await h.runner.accept('cancel', uuid);
  await h.runner.waitSwf('cancel', uuid, uuid, (t) => !!t.swf?.taskToken);
  await patchSpec('transcodejobs', 'cancel', { cancel: true });
  const j = await h.runner.waitJob('cancel', 'Canceled', (x) => x.status?.phase === 'Canceled' && closed(x));
  expect(j.status!.tasks!.map((t) => t.state)).toEqual([6, 6]);
  expect(j.status!.outputs!.map((o) => [o.status, o.reason])).toEqual([
    ['Canceled', 'JOB_CANCELED'],
    ['Canceled', 'JOB_CANCELED'],
  ]);
  let refused = false;
  await updateStatus<TranscodeJob>(h.kc, 'TranscodeJob', h.ns, 'cancel', (obj) => {
    refused = !completeTask(obj.status!, uuid, { bucket: h.outBucket, keys: ['x'] }, new Date().toISOString()).ok;
    return false;
  });
  expect(refused).toBe(true);
  const events = await h.history(j);
  const timeline = activityTimeline(events);
  expect(timeline.get(uuid)!.slice(0, 2)).toEqual(['Scheduled', 'Started']);
  expect(['Canceled', 'Failed']).toContain(timeline.get(uuid)![2]);
  const term = events.find((e) => e.eventType === 'WorkflowExecutionTerminated');
  expect(term?.workflowExecutionTerminatedEventAttributes?.reason).toBe('JOB_CANCELED');
});

test('client maxConcurrentJobs: extra jobs wait Pending with a reason, then start when a slot frees', async () => {
  await patchSpec('transcodeclients', 'client1', { limits: { maxConcurrentJobs: 1, priority: 50 } });
  await h.createJob('slot1', [{ output_type: 'THUMB', size: '64x36', output_file: '/out/slot1/t.jpg' }]);
  await h.runner.waitJob('slot1', 'running', (x) => x.status?.phase === 'Running');
  await h.createJob('slot2', [{ output_type: 'THUMB', size: '64x36', output_file: '/out/slot2/t.jpg' }]);
  const queued = await h.runner.waitJob('slot2', 'queued', (x) => x.status?.reason === 'ConcurrencyLimit');
  expect(queued.status!.phase).toBe('Pending');
  expect(queued.status!.message).toContain('1 of 1 jobs');
  const uuid = (await h.runner.getJob('slot1')).status!.tasks![0]!.uuid;
  await h.runner.run('slot1', uuid);
  await h.runner.waitJob('slot1', 'Succeeded', (x) => x.status?.phase === 'Succeeded');
  const started = await h.runner.waitJob('slot2', 'running', (x) => x.status?.phase === 'Running');
  expect(started.status!.reason).toBeUndefined();
  await patchSpec('transcodeclients', 'client1', { limits: { maxConcurrentJobs: 10, priority: 50 } });
});
