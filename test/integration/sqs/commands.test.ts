// Every client command through the real operator process (SQS listener, publisher and job lifecycle),
// the real apiserver and moto: its effect on the TranscodeJob CR and its reply on the client's output
// queue; every malformed class answered with COMMAND_REJECTED and a precise reason, while the other
// client keeps being served.
import {
  setUp,
  createClient,
  reply,
  collect,
  drain,
  repliesIn,
  jobsOfClient,
  waitForJob,
  getJob,
  sampleJob,
  uploadClip,
  queueDepth,
  type Harness,
  type TestClient,
} from './harness.js';
import { waitFor } from '../../env/process.js';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { awsClients } from '../client/operator.js';
import { LABEL_CLIENT, LABEL_JOB_ID } from '../../../lib/kube/resources.js';
import { jobName } from '../../../lib/ct/naming.js';
import type { TranscodeJob } from '../../../lib/schema/transcode-job.js';

let h: Harness;
let a: TestClient;
let b: TestClient;

beforeAll(async () => {
  h = await setUp('sqs-cmd');
  [a, b] = await Promise.all([createClient(h, 'client-a'), createClient(h, 'client-b')]);
  await Promise.all([uploadClip(h, a), uploadClip(h, b)]);
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

/** Waits until the job lifecycle planned the job's tasks (phase Running). */
async function running(client: TestClient, jobId: string): Promise<TranscodeJob> {
  return waitFor(
    `job ${jobId} Running with tasks`,
    async () => {
      const j = await getJob(h, client.name, jobId);
      return j?.status?.phase === 'Running' && j.status.tasks?.length ? j : undefined;
    },
    60_000,
    250,
  );
}

async function phase(client: TestClient, jobId: string, p: string): Promise<TranscodeJob> {
  return waitFor(
    `job ${jobId} ${p}`,
    async () => {
      const j = await getJob(h, client.name, jobId);
      return j?.status?.phase === p ? j : undefined;
    },
    60_000,
    250,
  );
}

test('START_JOB creates exactly one TranscodeJob, also when sent twice and when the same message is delivered twice', async () => {
  const data = sampleJob(a);
  const jobId = await a.ct.startJob(data);
  expect(jobId).toMatch(/^[0-9a-f]{32}$/);
  const job = await waitForJob(h, 'client-a', jobId);
  expect(job.metadata.name).toBe(jobName('client-a', jobId));
  expect(job.metadata.labels).toMatchObject({ [LABEL_CLIENT]: 'client-a', [LABEL_JOB_ID]: jobId });
  expect(job.spec).toEqual({ clientRef: { name: 'client-a' }, jobId, job: data, source: 'sqs' });

  // The client sends it again (SDK), and a byte-identical body arrives twice (SQS at-least-once).
  await a.ct.startJob(data, jobId);
  const body = JSON.stringify({ time: 1400101234.5678, type: 'START_JOB', job_id: jobId, data });
  await a.ct.sendRaw(body);
  await a.ct.sendRaw(body);
  await waitFor('input queue drained', async () => ((await queueDepth(h, a.inputUrl)) === 0 ? true : undefined), 30_000);
  const jobs = (await jobsOfClient(h, 'client-a')).filter((j) => j.spec.jobId === jobId);
  expect(jobs).toHaveLength(1);
  expect(jobs[0]!.metadata.uid).toBe(job.metadata.uid);
  // Duplicates are silent (no reply), and the job's lifecycle starts once.
  const msgs = await drain(a, 4000);
  expect(repliesIn(msgs)).toEqual([]);
  expect(msgs.filter((m) => m.type === 'JOB_STARTED' && m.job_id === jobId)).toHaveLength(1);
});

test('START_JOB reusing a job_id with a different description → COMMAND_REJECTED JOB_ID_IN_USE', async () => {
  const jobId = await a.ct.startJob(sampleJob(a), 'reused-id');
  await waitForJob(h, 'client-a', jobId);
  await a.ct.startJob(sampleJob(a, 'uploads/other.mp4'), jobId);
  const r = await reply(a, 'COMMAND_REJECTED');
  expect(r).toMatchObject({ type: 'COMMAND_REJECTED', job_id: 'reused-id', data: { reason: 'JOB_ID_IN_USE', command: 'START_JOB' } });
  expect((await getJob(h, 'client-a', jobId))!.spec.job.input_file).toBe('uploads/clip.mp4');
});

test('GET_JOB_STATUS → JOB_STATUS built from the CR', async () => {
  const jobId = await a.ct.startJob(sampleJob(a), 'status-1');
  const job = await running(a, jobId);
  await a.ct.getJobStatus(jobId);
  const r = await reply(a, 'JOB_STATUS');
  expect(r.job_id).toBe(jobId);
  expect(r.data.workflow).toEqual({ workflowId: job.status!.workflow!.workflowId, runId: job.status!.workflow!.runId });
  expect(r.data.job).toMatchObject({ job_id: jobId, phase: 'Running' });
  expect(r.data.outputs.map((o) => [o.index, o.output_type])).toEqual([
    [0, 'VIDEO'],
    [1, 'THUMB'],
  ]);
  // The validation activity first (its messages announced it), then the runner tasks.
  expect(r.data.activities[0]).toMatchObject({ activityId: `validate-${job.metadata.uid}`, state: 'COMPLETED', output_index: -1 });
  expect(
    r.data.activities
      .slice(1)
      .map((x) => x.activityId)
      .sort(),
  ).toEqual(job.status!.tasks!.map((t) => t.uuid).sort());
  expect(r.data.activities[1]).toMatchObject({
    activityType: { name: 'TranscodeAsset', version: 'v1' },
    state: 'PENDING',
    state_id: 1,
    failures: 0,
  });
});

test('GET_ACTIVITY_LIST, GET_ACTIVITY_STATUS, CANCEL_ACTIVITY → ACTIVITY_LIST, ACTIVITY_STATUS, ACTIVITY_CANCEL_REQUESTED, then ACTIVITY_CANCELED', async () => {
  const jobId = await a.ct.startJob(sampleJob(a), 'act-1');
  const job = await running(a, jobId);
  const tasks = job.status!.tasks!;
  const t0 = tasks[0]!.uuid;

  await a.ct.getActivityList(jobId);
  const list = await reply(a, 'ACTIVITY_LIST');
  expect(list.data.activities.map((x) => [x.activityId, x.output_index, x.state])).toEqual([
    [`validate-${job.metadata.uid}`, -1, 'COMPLETED'],
    ...tasks.map((t) => [t.uuid, t.outputIndex, 'PENDING']),
  ]);

  await a.ct.getActivityStatus(jobId, t0);
  const st = await reply(a, 'ACTIVITY_STATUS');
  expect(st.data.activity).toMatchObject({ activityId: t0, state: 'PENDING', name: tasks[0]!.name });

  await a.ct.getActivityStatus(jobId, 'no-such-activity');
  expect((await reply(a, 'COMMAND_REJECTED')).data).toMatchObject({ reason: 'UNKNOWN_ACTIVITY', command: 'GET_ACTIVITY_STATUS' });

  await a.ct.cancelActivity(jobId, t0);
  const cancel = await reply(a, 'ACTIVITY_CANCEL_REQUESTED');
  expect(cancel).toMatchObject({ job_id: jobId, data: { activity: { activityId: t0 } } });
  expect((await getJob(h, 'client-a', jobId))!.spec.cancelTasks).toEqual([t0]);
  // The job lifecycle cancels the task; the publisher tells the client.
  const canceled = await collect(a, (m) => m.type === 'ACTIVITY_CANCELED' && m.job_id === jobId);
  expect(canceled[canceled.length - 1]!.data).toMatchObject({ activity: { activityId: t0, reason: 'ACTIVITY_CANCELED' } });

  await a.ct.cancelActivity(jobId, t0);
  expect((await reply(a, 'COMMAND_REJECTED')).data).toMatchObject({ reason: 'ACTIVITY_ALREADY_FINISHED' });
  expect((await getJob(h, 'client-a', jobId))!.spec.cancelTasks).toEqual([t0]);
});

test('CANCEL_JOB → spec.cancel, JOB_CANCEL_REQUESTED, then JOB_CANCELED; unknown job and finished job rejected', async () => {
  const jobId = await a.ct.startJob(sampleJob(a), 'cancel-me');
  await running(a, jobId);
  await a.ct.cancelJob(jobId);
  expect(await reply(a, 'JOB_CANCEL_REQUESTED')).toMatchObject({ job_id: jobId });
  expect((await getJob(h, 'client-a', jobId))!.spec.cancel).toBe(true);
  const end = await collect(
    a,
    (m) => m.job_id === jobId && (m.type === 'JOB_CANCELED' || m.type === 'JOB_COMPLETED' || m.type === 'JOB_FAILED'),
  );
  expect(end[end.length - 1]).toMatchObject({ type: 'JOB_CANCELED', data: { reason: 'JOB_CANCELED' } });

  await a.ct.cancelJob('never-started');
  expect(await reply(a, 'COMMAND_REJECTED')).toMatchObject({
    job_id: 'never-started',
    data: { reason: 'UNKNOWN_JOB', command: 'CANCEL_JOB', details: 'no job with job_id never-started for this client' },
  });

  // A job whose input does not exist fails (S3_OPS_FAILED); cancelling it is refused.
  const done = await a.ct.startJob(sampleJob(a, 'uploads/missing.mp4'), 'finished-job');
  await phase(a, done, 'Failed');
  await a.ct.cancelJob(done);
  expect((await reply(a, 'COMMAND_REJECTED')).data).toMatchObject({
    reason: 'JOB_ALREADY_FINISHED',
    details: expect.stringContaining('Failed'),
  });
});

test('GET_JOB_LIST → JOB_LIST of this client only, with phase filter and paging', async () => {
  await b.ct.startJob(sampleJob(b), 'b-list-1');
  await b.ct.startJob(sampleJob(b, 'uploads/missing.mp4'), 'b-list-2');
  await b.ct.startJob(sampleJob(b), 'b-list-3');
  await phase(b, 'b-list-2', 'Failed');
  const bIds = ['b-list-1', 'b-list-2', 'b-list-3'];
  await waitFor('the operator cache sees all three jobs and the failure', async () => {
    await b.ct.listJobs();
    const r = await reply(b, 'JOB_LIST');
    return r.data.jobs.length === 3 && r.data.jobs.some((j) => j.phase === 'Failed') ? r : undefined;
  });
  await b.ct.listJobs({ limit: 2 });
  const page1 = await reply(b, 'JOB_LIST');
  expect(page1.data.jobs).toHaveLength(2);
  expect(page1.data.next_token).toBeDefined();
  await b.ct.listJobs({ limit: 2, next_token: page1.data.next_token! });
  const page2 = await reply(b, 'JOB_LIST');
  expect(page2.data.next_token).toBeUndefined();
  expect([...page1.data.jobs, ...page2.data.jobs].map((j) => j.job_id).sort()).toEqual(bIds);

  await b.ct.listJobs({ phase: 'Failed' });
  const failed = await reply(b, 'JOB_LIST');
  expect(failed.data.jobs).toEqual([expect.objectContaining({ job_id: 'b-list-2', phase: 'Failed', reason: 'S3_OPS_FAILED' })]);

  await b.ct.command('GET_JOB_LIST', undefined, { next_token: 'garbage' });
  expect((await reply(b, 'COMMAND_REJECTED')).data).toMatchObject({
    reason: 'FORMAT_INVALID',
    details: expect.stringContaining('next_token'),
  });
});

test('client A naming client B’s job → UNKNOWN_JOB, and B’s job is untouched', async () => {
  const jobId = await b.ct.startJob(sampleJob(b), 'b-private');
  await waitForJob(h, 'client-b', jobId);
  await a.ct.cancelJob(jobId);
  expect(await reply(a, 'COMMAND_REJECTED')).toMatchObject({ job_id: jobId, data: { reason: 'UNKNOWN_JOB' } });
  await a.ct.getJobStatus(jobId);
  expect((await reply(a, 'COMMAND_REJECTED')).data.reason).toBe('UNKNOWN_JOB');
  // A message claiming to come from B (G2's data.client / a top-level client) changes nothing.
  await a.ct.sendRaw(JSON.stringify({ time: 1, type: 'CANCEL_JOB', job_id: jobId, client: { name: 'client-b' }, data: {} }));
  expect((await reply(a, 'COMMAND_REJECTED')).data.reason).toBe('UNKNOWN_JOB');
  expect((await getJob(h, 'client-b', jobId))!.spec.cancel).toBeUndefined();
  expect(repliesIn(await drain(b, 1500))).toEqual([]);
});

test('malformed messages → COMMAND_REJECTED with a precise reason; the other client keeps being served', async () => {
  const good = sampleJob(a);
  const cases: { body: string; reason: string; details: RegExp; jobId?: string }[] = [
    { body: '{"time": 1, "type": "START_JOB", ', reason: 'INVALID_JSON', details: /not valid JSON/ },
    {
      body: JSON.stringify({ time: 1, type: 'START_JOB', data: good }),
      reason: 'FORMAT_INVALID',
      details: /\(root\)\/job_id: is required/,
    },
    {
      body: JSON.stringify({
        time: 1,
        type: 'START_JOB',
        job_id: 'bad-out',
        data: { ...good, outputs: [{ ...good.outputs[0], output_type: 'GIF' }] },
      }),
      reason: 'FORMAT_INVALID',
      details: /\/data\/outputs\/0\/output_type: must be one of/,
      jobId: 'bad-out',
    },
    {
      body: JSON.stringify({ time: 1, type: 'START_JOB', job_id: 'big', data: good, pad: 'x'.repeat(256 * 1024) }),
      reason: 'MESSAGE_TOO_LARGE',
      details: /limit is 262144 bytes/,
    },
    {
      body: JSON.stringify({ time: 1, type: 'DELETE_EVERYTHING', job_id: 'x', data: {} }),
      reason: 'UNKNOWN_COMMAND',
      details: /DELETE_EVERYTHING/,
      jobId: 'x',
    },
  ];
  // Real SQS refuses bodies over 256 KiB at SendMessage, and so does every client of ours
  // (lib/aws/limits.ts); moto does not, so a plain client still gets one to the listener's own guard.
  const unguarded = awsClients(h.info).sqs;
  for (const c of cases) {
    if (c.reason === 'MESSAGE_TOO_LARGE') {
      await expect(a.ct.sendRaw(c.body)).rejects.toThrow(/would be refused by AWS: message is \d+ bytes \(limit 262144\)/);
      await unguarded.send(new SendMessageCommand({ QueueUrl: a.inputUrl, MessageBody: c.body }));
    } else {
      await a.ct.sendRaw(c.body);
    }
    const r = await reply(a, 'COMMAND_REJECTED');
    expect({ reason: r.data.reason, details: r.data.details }).toEqual({ reason: c.reason, details: expect.stringMatching(c.details) });
    expect(r.data.message_id).toBeDefined();
    if (c.jobId) expect(r.job_id).toBe(c.jobId);
  }
  // None of them created anything, and every one was deleted from the input queue.
  const ids = (await jobsOfClient(h, 'client-a')).map((j) => j.spec.jobId);
  for (const id of ['bad-out', 'big', 'x']) expect(ids).not.toContain(id);
  await waitFor('input queue of A empty', async () => ((await queueDepth(h, a.inputUrl)) === 0 ? true : undefined), 20_000);
  // B is served throughout.
  const id = await b.ct.startJob(sampleJob(b), 'b-after-garbage');
  await waitForJob(h, 'client-b', id);
  await b.ct.getJobStatus(id);
  expect((await reply(b, 'JOB_STATUS')).data.job.job_id).toBe(id);
});

test('the SDK refuses to send an invalid job description (ValidationError names the field)', async () => {
  await expect(a.ct.startJob({ ...sampleJob(a), outputs: [] })).rejects.toThrow(/\/outputs: must NOT have fewer than 1 items/);
  expect(repliesIn(await drain(a, 1500))).toEqual([]);
});
