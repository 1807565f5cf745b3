// A job's client messages end to end: START_JOB over SQS, the real job lifecycle (probe, plan, SWF), the
// runner's part played through the same CR transitions the api-server makes, and every transition
// arriving on the client's output queue in protocol order with the job's real SWF ids; progress
// throttled; an operator restart resends nothing.
import { awsClients } from '../client/operator.js';
import { FakeRunner } from '../job/fake-runner.js';
import { setUp, createClient, collect, drain, getJob, uploadClip, type Harness, type TestClient } from './harness.js';
import { waitFor } from '../../env/process.js';
import { jobName } from '../../../lib/ct/naming.js';
import type { AnyCtMessage, ActivityInfo } from '../../../lib/ct/messages.js';
import type { JobDescription } from '../../../lib/schema/ct-job.js';
import type { TranscodeJob } from '../../../lib/schema/transcode-job.js';

let h: Harness;
let c: TestClient;

beforeAll(async () => {
  h = await setUp('sqs-life', { CT_STALL_SECONDS: '4' });
  c = await createClient(h, 'client-l');
  await uploadClip(h, c);
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

const activityOf = (m: AnyCtMessage): ActivityInfo | undefined => (m.data as { activity?: ActivityInfo }).activity;

test('every transition of a job reaches the client in order, once, with the SWF ids; a restart resends nothing', async () => {
  const data: JobDescription = {
    input_type: 'VIDEO',
    input_bucket: c.inputBucket,
    input_file: 'uploads/clip.mp4',
    outputs: [
      { output_type: 'VIDEO', output_bucket: c.outputBucket, output_file: 'out/sd.mp4', preset: '480p-16.9-generic' },
      { output_type: 'THUMB', output_bucket: c.outputBucket, output_file: 'out/poster.jpg', size: '320x180', snapshot_sec: 1 },
      // 1080p from a 720p source: refused before any task (ENLARGEMENT_ERROR), the rest goes on.
      { output_type: 'VIDEO', output_bucket: c.outputBucket, output_file: 'out/hd.mp4', preset: '1080p-generic' },
    ],
  };
  const jobId = await c.ct.startJob(data, 'life-1');
  const name = jobName(c.name, jobId);
  const job = await waitFor(
    'tasks planned',
    async () => {
      const j = await getJob(h, c.name, jobId);
      return j?.status?.phase === 'Running' && j.status.tasks?.length === 2 && j.status.workflow?.runId ? j : undefined;
    },
    60_000,
    250,
  );
  const workflow = { workflowId: job.status!.workflow!.workflowId, runId: job.status!.workflow!.runId };
  const videoTask = job.status!.tasks!.find((t) => t.outputIndex === 0)!;
  const thumbTask = job.status!.tasks!.find((t) => t.outputIndex === 1)!;

  const runner = new FakeRunner(h.kc, awsClients(h.info).s3, h.ns);
  // The thumbnail task with progress reported often: the client gets it throttled.
  await runner.accept(name, thumbTask.uuid);
  for (const p of [10, 20, 30, 40, 50, 60, 70, 80]) {
    await runner.progress(name, thumbTask.uuid, p);
    await new Promise((r) => setTimeout(r, 400));
  }
  // Let the runner do both tasks for real (ffmpeg, results stored at the placement, completion).
  await runner.error(name, thumbTask.uuid, 'runner lost its disk'); // one failure: retried, not reported as failed
  await runner.run(name, thumbTask.uuid);
  await runner.run(name, videoTask.uuid);

  const msgs = await collect(c, (m) => m.type === 'JOB_COMPLETED' || m.type === 'JOB_FAILED', 120_000);
  const types = msgs.map((m) => m.type);
  expect(types[0]).toBe('JOB_STARTED');
  expect(types[types.length - 1]).toBe('JOB_COMPLETED');
  for (const m of msgs) {
    expect(m.job_id).toBe(jobId);
    expect((m.data as { workflow: unknown }).workflow).toMatchObject(workflow);
  }
  expect(msgs[0]!.data).toEqual({ workflow: { ...workflow, input: data } });
  // Times follow the order of the messages.
  for (let i = 1; i < msgs.length; i++) expect(msgs[i]!.time).toBeGreaterThanOrEqual(msgs[i - 1]!.time);

  const byActivity = (id: string) => msgs.filter((m) => activityOf(m)?.activityId === id);
  const validate = msgs.filter((m) => activityOf(m)?.activityType.name === 'ValidateInputAndAsset');
  expect(validate.map((m) => m.type)).toEqual(['ACTIVITY_STARTED', 'ACTIVITY_COMPLETED']);
  expect(activityOf(validate[0]!)!.input).toEqual(data);
  const firstTaskMsg = msgs.findIndex((m) => activityOf(m)?.activityType.name === 'TranscodeAsset');
  expect(msgs.indexOf(validate[1]!)).toBeLessThan(firstTaskMsg);

  const enlarge = msgs.filter((m) => m.type === 'ACTIVITY_FAILED' && activityOf(m)?.reason === 'ENLARGEMENT_ERROR');
  expect(enlarge).toHaveLength(1);
  expect(activityOf(enlarge[0]!)).toMatchObject({ activityType: { name: 'TranscodeAsset', version: 'v1' } });
  // The refused output was announced first: its ACTIVITY_STARTED (same id) names the output.
  const enlargeMsgs = byActivity(activityOf(enlarge[0]!)!.activityId);
  expect(enlargeMsgs.map((m) => m.type)).toEqual(['ACTIVITY_STARTED', 'ACTIVITY_FAILED']);
  expect(activityOf(enlargeMsgs[0]!)!.input).toMatchObject({ output_index: 2, input_asset_type: 'VIDEO' });

  const thumb = byActivity(thumbTask.uuid);
  const thumbTypes = thumb.map((m) => m.type).filter((t) => t !== 'ACTIVITY_PROGRESS');
  // Attempt 1 (failed once and retried) and attempt 2 each start; only the last one finishes.
  expect(thumbTypes).toEqual([
    'ACTIVITY_STARTED',
    'ACTIVITY_PREPARING',
    'ACTIVITY_STARTED',
    'ACTIVITY_PREPARING',
    'ACTIVITY_FINISHING',
    'ACTIVITY_COMPLETED',
  ]);
  expect(activityOf(thumb[0]!)!.input).toMatchObject({ output_index: 1, output: data.outputs[1], input_asset_type: 'VIDEO' });
  const secondStart = thumb.findIndex((m, i) => i > 0 && m.type === 'ACTIVITY_STARTED');
  const progress = thumb
    .slice(0, secondStart)
    .filter((m) => m.type === 'ACTIVITY_PROGRESS')
    .map((m) => activityOf(m)!);
  // 8 updates over ~3.2 s with a 1.5 s interval: a few, not all, increasing, with CT's fields.
  expect(progress.length).toBeGreaterThanOrEqual(2);
  expect(progress.length).toBeLessThanOrEqual(5);
  for (const p of progress) {
    expect(p.duration).toBeCloseTo(2, 0);
    expect(p.done).toBeCloseTo((p.duration! * p.progress!) / 100, 1);
  }
  expect(progress.map((p) => p.progress)).toEqual([...progress.map((p) => p.progress)].sort((x, y) => x! - y!));

  const video = byActivity(videoTask.uuid)
    .map((m) => m.type)
    .filter((t) => t !== 'ACTIVITY_PROGRESS');
  expect(video).toEqual(['ACTIVITY_STARTED', 'ACTIVITY_PREPARING', 'ACTIVITY_FINISHING', 'ACTIVITY_COMPLETED']);

  const done = msgs[msgs.length - 1] as Extract<AnyCtMessage, { type: 'JOB_COMPLETED' }>;
  expect(done.data.failed).toEqual([2]);
  expect(done.data.outputs).toEqual([
    expect.objectContaining({ index: 0, output_type: 'VIDEO', status: 'Succeeded', bucket: c.outputBucket, keys: ['out/sd.mp4'] }),
    expect.objectContaining({ index: 1, output_type: 'THUMB', status: 'Succeeded', bucket: c.outputBucket, keys: ['out/poster.jpg'] }),
    expect.objectContaining({ index: 2, output_type: 'VIDEO', status: 'Failed', reason: 'ENLARGEMENT_ERROR' }),
  ]);
  // Once each (progress aside).
  const once = msgs.filter((m) => m.type !== 'ACTIVITY_PROGRESS').map((m) => `${m.type}/${activityOf(m)?.activityId ?? ''}`);
  expect(once.filter((k) => k.startsWith('ACTIVITY_STARTED/') || k.startsWith('ACTIVITY_PREPARING/')).length).toBe(2 + 2 + 2 + 1 + 1); // thumb ×2, video, validate, the refused hd output (STARTED before its FAILED)
  expect(types.filter((t) => t === 'JOB_STARTED' || t === 'JOB_COMPLETED')).toEqual(['JOB_STARTED', 'JOB_COMPLETED']);

  // Recorded in the CR, so a restarted operator has nothing left to send. The publisher sends first and
  // records after, so the record may land a moment after the client has read the end message.
  const recorded = ['job:started', 'validate:completed', `${thumbTask.uuid}:completed`, 'job:end'];
  const final = await waitFor(
    'every sent message recorded in status.published',
    async () => {
      const j = (await getJob(h, c.name, jobId)) as TranscodeJob;
      return recorded.every((k) => j.status?.published?.includes(k)) ? j : undefined;
    },
    15_000,
  );
  expect(final.status!.published).toEqual(expect.arrayContaining(recorded));
  await h.restart();
  expect(await drain(c, 5000)).toEqual([]);
});

test('a silent runner → ACTIVITY_TIMEOUT; 5 failures → ACTIVITY_FAILED TRANSCODE_FAIL; nothing succeeded → JOB_FAILED', async () => {
  const data: JobDescription = {
    input_type: 'VIDEO',
    input_bucket: c.inputBucket,
    input_file: 'uploads/clip.mp4',
    outputs: [
      { output_type: 'VIDEO', output_bucket: c.outputBucket, output_file: 'fail/sd.mp4', preset: '480p-16.9-generic' },
      { output_type: 'THUMB', output_bucket: c.outputBucket, output_file: 'fail/poster.jpg', size: '320x180' },
    ],
  };
  const jobId = await c.ct.startJob(data, 'fail-1');
  const name = jobName(c.name, jobId);
  const job = await waitFor(
    'tasks planned',
    async () => {
      const j = await getJob(h, c.name, jobId);
      return j?.status?.phase === 'Running' && j.status.tasks?.length === 2 ? j : undefined;
    },
    60_000,
    250,
  );
  const [t0, t1] = job.status!.tasks!.map((t) => t.uuid) as [string, string];
  const runner = new FakeRunner(h.kc, awsClients(h.info).s3, h.ns);
  // Accepted, then silence: the stall watchdog takes the task back.
  await runner.accept(name, t1);
  await waitFor(
    'watchdog take-back',
    async () => {
      const t = (await getJob(h, c.name, jobId))!.status!.tasks!.find((x) => x.uuid === t1)!;
      return t.state === 1 && (t.timeouts ?? 0) >= 1 ? t : undefined;
    },
    60_000,
    250,
  );
  for (const uuid of [t0, t1]) {
    for (let i = 1; i <= 5; i++) {
      await runner.accept(name, uuid);
      await runner.error(name, uuid, `ffmpeg exited with 1 (attempt ${i})`);
    }
  }
  const msgs = await collect(c, (m) => m.job_id === jobId && (m.type === 'JOB_FAILED' || m.type === 'JOB_COMPLETED'), 90_000);
  const mine = msgs.filter((m) => m.job_id === jobId);
  const last = mine[mine.length - 1]!;
  expect(last.type).toBe('JOB_FAILED');
  expect(last.data).toMatchObject({
    reason: 'TRANSCODE_FAIL',
    outputs: [
      { index: 0, status: 'Failed', reason: 'TRANSCODE_FAIL' },
      { index: 1, status: 'Failed', reason: 'TRANSCODE_FAIL' },
    ],
  });
  const timeouts = mine.filter((m) => m.type === 'ACTIVITY_TIMEOUT');
  expect(timeouts.map((m) => activityOf(m))).toEqual([
    expect.objectContaining({ activityId: t1, status: 'TIMED_OUT', timeoutType: 'HEARTBEAT' }),
  ]);
  for (const uuid of [t0, t1]) {
    const failed = mine.filter((m) => m.type === 'ACTIVITY_FAILED' && activityOf(m)?.activityId === uuid);
    expect(failed).toHaveLength(1);
    expect(activityOf(failed[0]!)).toMatchObject({ reason: 'TRANSCODE_FAIL', details: 'ffmpeg exited with 1 (attempt 5)' });
    const seq = mine.filter((m) => activityOf(m)?.activityId === uuid).map((m) => m.type);
    expect(seq[seq.length - 1]).toBe('ACTIVITY_FAILED');
    expect(seq).not.toContain('ACTIVITY_COMPLETED');
  }
  // The timeout sits between the silent attempt's start and the next attempt's start.
  const t1seq = mine.filter((m) => activityOf(m)?.activityId === t1).map((m) => m.type);
  expect(t1seq.slice(0, 3)).toEqual(['ACTIVITY_STARTED', 'ACTIVITY_PREPARING', 'ACTIVITY_TIMEOUT']);
});
