// Delivery guarantees of the listener with the real operator process: a crash between creating the job
// and deleting the message leaves exactly one job and one JOB_STARTED; a message whose handling keeps
// failing (the apiserver refuses every job: a quota without status) ends in the client's DLQ after
// maxReceiveCount receives instead of looping, while commands that can be served still are.
import { CoreV1Api } from '@kubernetes/client-node';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { awsClients } from '../client/operator.js';
import {
  setUp,
  createClient,
  collect,
  drain,
  reply,
  jobsOfClient,
  getJob,
  uploadClip,
  queueDepth,
  sampleJob,
  type Harness,
  type TestClient,
} from './harness.js';
import { waitFor } from '../../env/process.js';

let h: Harness;
let c: TestClient;

beforeAll(async () => {
  h = await setUp('sqs-dlv', { CT_FAULT: 'exit-after-create' });
  c = await createClient(h, 'client-d');
  await uploadClip(h, c);
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

test('operator killed between creating the job and deleting the message: after restart one job, one JOB_STARTED', async () => {
  const data = sampleJob(c);
  await c.ct.startJob(data, 'crash-1');
  // The fault hook exits the process right after the job was created, before the delete.
  expect(await h.op.proc.exited).toBe(3);
  expect(await getJob(h, c.name, 'crash-1')).toBeDefined();
  expect(await queueDepth(h, c.inputUrl)).toBe(1);

  await h.restart({ CT_FAULT: '' });
  // The message comes back after its visibility timeout, is recognised as a duplicate and deleted.
  await waitFor('message deleted after redelivery', async () => ((await queueDepth(h, c.inputUrl)) === 0 ? true : undefined), 60_000, 500);
  expect((await jobsOfClient(h, c.name)).filter((j) => j.spec.jobId === 'crash-1')).toHaveLength(1);
  const msgs = await collect(c, (m) => m.type === 'ACTIVITY_COMPLETED', 60_000);
  msgs.push(...(await drain(c, 4000)));
  expect(msgs.filter((m) => m.type === 'JOB_STARTED')).toHaveLength(1);
  expect(msgs.filter((m) => m.type === 'COMMAND_REJECTED')).toEqual([]);
});

test('a message whose handling keeps failing lands in the DLQ after maxReceiveCount receives; the client is still served', async () => {
  await h.restart({ CT_FAULT: '' }); // this test needs no fault injection (and may run alone)
  const core = h.kc.makeApiClient(CoreV1Api);
  // A quota of zero TranscodeJobs: the apiserver's quota admission answers 403 to every create — an
  // operational failure, not the client's fault. (No controller manager here: we write the quota's
  // status ourselves, as the quota controller would.)
  const key = 'count/transcodejobs.cloudtranscode.io';
  const quota = await core.createNamespacedResourceQuota({
    namespace: h.ns,
    body: { metadata: { name: 'no-jobs' }, spec: { hard: { [key]: '0' } } },
  });
  await core.replaceNamespacedResourceQuotaStatus({
    namespace: h.ns,
    name: 'no-jobs',
    body: { ...quota, status: { hard: { [key]: '0' }, used: { [key]: '0' } } },
  });
  try {
    const body = JSON.stringify({ time: 1, type: 'START_JOB', job_id: 'poison-1', data: sampleJob(c) });
    await c.ct.sendRaw(body);
    // Meanwhile a command that needs no write is answered.
    await c.ct.listJobs();
    expect((await reply(c, 'JOB_LIST')).data.jobs.map((j) => j.job_id)).not.toContain('poison-1');

    await waitFor('message in the DLQ', async () => ((await queueDepth(h, c.deadLetterUrl)) === 1 ? true : undefined), 90_000, 500);
    const { sqs } = awsClients(h.info);
    const dead = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: c.deadLetterUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    expect(dead.Messages?.map((m) => m.Body)).toEqual([body]);
    expect(Number(dead.Messages![0]!.Attributes!['ApproximateReceiveCount'])).toBeGreaterThanOrEqual(3);
    expect(await queueDepth(h, c.inputUrl)).toBe(0);
    expect(await getJob(h, c.name, 'poison-1')).toBeUndefined();
    // Not answered as the client's mistake: the failure was ours.
    expect((await drain(c, 1500)).filter((m) => m.type === 'COMMAND_REJECTED')).toEqual([]);
  } finally {
    await core.deleteNamespacedResourceQuota({ namespace: h.ns, name: 'no-jobs' });
  }
  // Once the cause is gone the same client's next job goes through.
  await c.ct.startJob(sampleJob(c), 'after-quota');
  await waitFor('job after the quota', () => getJob(h, c.name, 'after-quota'), 30_000, 250);
});
