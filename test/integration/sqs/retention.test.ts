// Job retention through the real operator (job lifecycle, SWF on moto, publisher, retention controller,
// SQS listener), the real apiserver and moto S3: a finished job is deleted after its client's short
// TTL, once its end message went out and its record is in the client's output bucket; afterwards the
// commands about it answer exactly as before (JOB_STATUS equal to the one built from the last CR),
// GET_JOB_LIST still lists it, a re-sent START_JOB creates nothing and answers as a duplicate does.
// A client without an override keeps its jobs (global default); a bad TTL is refused naming the field.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { awsClients, clientsApi } from '../client/operator.js';
import {
  setUp,
  createClient,
  collect,
  drain,
  reply,
  repliesIn,
  getJob,
  sampleJob,
  uploadClip,
  queueDepth,
  type Harness,
  type TestClient,
} from './harness.js';
import { waitFor } from '../../env/process.js';
import { JOB_END_KEY } from '../../../lib/ct/events.js';
import { jobSummary, outputReports, workflowOf } from '../../../lib/ct/report.js';
import { allActivitySummaries } from '../../../lib/ct/validate-activity.js';
import { GROUP, VERSION } from '../../../lib/kube/resources.js';
import { crs } from '../../../lib/kube/crs.js';
import type { TranscodeJob } from '../../../lib/schema/transcode-job.js';

let h: Harness;
let short: TestClient;
let kept: TestClient;

beforeAll(async () => {
  // Global default long; the settle time short so the test sees the deletion within seconds.
  h = await setUp('sqs-ret', { CT_JOB_TTL_SECONDS: '3600', CT_JOB_RECORD_SETTLE_SECONDS: '1' });
  [short, kept] = await Promise.all([
    createClient(h, 'client-ttl', { jobRetention: { ttlSecondsAfterFinished: 2 } }),
    createClient(h, 'client-keep'),
  ]);
  await uploadClip(h, short);
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

/** The job once finished with its end message recorded: nothing in it changes afterwards. */
async function ended(c: TestClient, jobId: string): Promise<TranscodeJob> {
  return waitFor(
    `job ${jobId} ended and its end message published`,
    async () => {
      const j = await getJob(h, c.name, jobId);
      return j?.status?.published?.includes(JOB_END_KEY) && j.status.workflow?.closed ? j : undefined;
    },
    90_000,
    200,
  );
}

async function gone(c: TestClient, jobId: string): Promise<void> {
  await waitFor(`job ${jobId} deleted`, async () => ((await getJob(h, c.name, jobId)) ? undefined : true), 60_000, 250);
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${h.op.port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('a finished job is deleted after the TTL; status, list, cancel and a re-sent START_JOB still answer from its record', async () => {
  const failing = sampleJob(short, 'uploads/missing.mp4');
  const jobId = await short.ct.startJob(failing, 'ret-failed');
  const keptId = await kept.ct.startJob(sampleJob(kept, 'uploads/missing.mp4'), 'ret-kept');
  const last = await ended(short, jobId);
  expect(last.status!.phase).toBe('Failed');
  await ended(kept, keptId);
  const msgs = await collect(short, (m) => m.type === 'JOB_FAILED' && m.job_id === jobId, 60_000);
  expect(msgs.filter((m) => m.type === 'JOB_FAILED')).toHaveLength(1);

  await gone(short, jobId);
  // The record is in the client's own output bucket (docs/retention.md).
  const { s3 } = awsClients(h.info);
  const obj = await s3.send(new GetObjectCommand({ Bucket: short.outputBucket, Key: `.cloudtranscode/jobs/${jobId}.json` }));
  const record = JSON.parse(await obj.Body!.transformToString()) as { kind: string; job: TranscodeJob };
  expect(record.kind).toBe('TranscodeJobRecord');
  expect(record.job.metadata.uid).toBe(last.metadata.uid);
  // The other client sets no TTL: the global default (1 h) keeps its job.
  expect(await getJob(h, kept.name, keptId)).toBeDefined();

  // GET_JOB_STATUS: exactly what the live job answered.
  await short.ct.getJobStatus(jobId);
  const status = await reply(short, 'JOB_STATUS');
  expect(status.job_id).toBe(jobId);
  expect(status.data).toEqual({
    workflow: workflowOf(last),
    job: jobSummary(last),
    outputs: outputReports(last),
    activities: allActivitySummaries(last),
  });
  expect(status.data.job).toMatchObject({ phase: 'Failed', reason: last.status!.reason });

  await short.ct.getActivityList(jobId);
  expect((await reply(short, 'ACTIVITY_LIST')).data.activities).toEqual(allActivitySummaries(last));

  // GET_JOB_LIST lists it (from the record) next to the live ones, with its phase.
  const liveId = await short.ct.startJob(failing, 'ret-live');
  await ended(short, liveId);
  await short.ct.listJobs({ phase: 'Failed' });
  const list = await reply(short, 'JOB_LIST');
  expect(list.data.jobs.map((j) => j.job_id)).toEqual([jobId, liveId]);
  expect(list.data.jobs[0]).toEqual(jobSummary(last));
  await short.ct.listJobs({ limit: 1 });
  const page1 = await reply(short, 'JOB_LIST');
  expect(page1.data.jobs.map((j) => j.job_id)).toEqual([jobId]);
  await short.ct.listJobs({ limit: 1, next_token: page1.data.next_token! });
  expect((await reply(short, 'JOB_LIST')).data.jobs.map((j) => j.job_id)).toEqual([liveId]);

  // CANCEL_JOB: already finished, as for the live job.
  await short.ct.cancelJob(jobId);
  expect((await reply(short, 'COMMAND_REJECTED')).data).toMatchObject({ reason: 'JOB_ALREADY_FINISHED', command: 'CANCEL_JOB' });

  // START_JOB with the same id and description: a duplicate (nothing created, no reply) ...
  const duplicatesBefore = await metric('ct_sqs_commands_total', 'outcome="duplicate"');
  await short.ct.startJob(failing, jobId);
  await waitFor('input queue drained', async () => ((await queueDepth(h, short.inputUrl)) === 0 ? true : undefined), 30_000);
  await waitFor(
    'the duplicate counted',
    async () => ((await metric('ct_sqs_commands_total', 'outcome="duplicate"')) > duplicatesBefore ? true : undefined),
    10_000,
  );
  const after = await drain(short, 3000);
  expect(repliesIn(after)).toEqual([]);
  expect(after.filter((m) => m.job_id === jobId)).toEqual([]);
  expect(await getJob(h, short.name, jobId)).toBeUndefined();
  // ... and with another description: the id is taken.
  await short.ct.startJob(sampleJob(short), jobId);
  expect((await reply(short, 'COMMAND_REJECTED')).data).toMatchObject({ reason: 'JOB_ID_IN_USE', command: 'START_JOB' });
  expect(await getJob(h, short.name, jobId)).toBeUndefined();
}, 240_000);

test('a canceled job (SWF execution terminated) is deleted after the TTL and still answers Canceled', async () => {
  const jobId = await short.ct.startJob(sampleJob(short), 'ret-canceled');
  await waitFor('running', async () => ((await getJob(h, short.name, jobId))?.status?.phase === 'Running' ? true : undefined), 60_000, 250);
  await short.ct.cancelJob(jobId);
  const last = await ended(short, jobId);
  expect(last.status!.phase).toBe('Canceled');
  await gone(short, jobId);
  await short.ct.getJobStatus(jobId);
  const status = await collect(short, (m) => m.type === 'JOB_STATUS' && m.job_id === jobId);
  expect(status[status.length - 1]!.data).toMatchObject({ workflow: workflowOf(last), job: { job_id: jobId, phase: 'Canceled' } });
}, 180_000);

test('lowering a client’s TTL applies at once to its finished jobs (the global default kept them)', async () => {
  expect(await getJob(h, kept.name, 'ret-kept')).toBeDefined();
  await crs(h.kc).clients.patch(h.ns, kept.name, { spec: { jobRetention: { ttlSecondsAfterFinished: 1 } } });
  await gone(kept, 'ret-kept');
  await kept.ct.getJobStatus('ret-kept');
  expect((await reply(kept, 'JOB_STATUS')).data.job).toMatchObject({ job_id: 'ret-kept', phase: 'Failed' });
}, 120_000);

test('a bad jobRetention TTL is refused naming the field', async () => {
  const api = clientsApi(h.kc);
  for (const ttl of [-1, 'soon', 1.5]) {
    const err = await api
      .create(h.ns, {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'TranscodeClient',
        metadata: { name: `bad-ttl-${String(ttl).replace(/[^a-z0-9]/g, 'x')}` },
        spec: { principal: '123456789012', jobRetention: { ttlSecondsAfterFinished: ttl } },
      })
      .then(
        () => undefined,
        (e: unknown) => e as { code?: number; body?: string },
      );
    expect(err?.code).toBe(422);
    expect(String(err?.body)).toContain('spec.jobRetention.ttlSecondsAfterFinished');
  }
});
