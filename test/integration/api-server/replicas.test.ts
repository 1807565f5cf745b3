// Two api-server replicas on one apiserver: concurrent accepts through both hand out every task
// exactly once (optimistic concurrency on the CR), a runner registered through one replica is
// known to the other at once, and input downloads can redirect to presigned S3 URLs.
import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { waitFor } from '../../env/process.js';
import {
  TestRunner,
  createBucket,
  createJobWithTasks,
  createNamespace,
  createRegistrationSecret,
  getJob,
  postJson,
  s3,
  startApiServer,
  type ApiServerProcess,
} from './harness.js';

let ns: string;
let a: ApiServerProcess;
let b: ApiServerProcess;
let regToken: string;
let inBucket: string;
let outBucket: string;

beforeAll(async () => {
  ns = await createNamespace('api-replicas');
  [inBucket, outBucket] = await Promise.all([createBucket('in'), createBucket('out')]);
  await s3.send(new PutObjectCommand({ Bucket: inBucket, Key: 'src/clip.mp4', Body: 'source-bytes' }));
  regToken = (await createRegistrationSecret(ns)).token;
  [a, b] = await Promise.all([startApiServer(ns), startApiServer(ns, { CT_DOWNLOAD_MODE: 'redirect' })]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

test('50 concurrent accepts over 10 pending tasks through two replicas: each task is handed out exactly once', async () => {
  const runners = await Promise.all(
    Array.from({ length: 10 }, async (_, i) => {
      const r = new TestRunner(i % 2 ? a.url : b.url);
      expect((await r.register(regToken)).status).toBe(200);
      return r;
    }),
  );
  // Two jobs of five tasks: accepts of different tasks also contend on the same object.
  const jobs = await Promise.all([
    createJobWithTasks(ns, Array(5).fill({}), inBucket, outBucket),
    createJobWithTasks(ns, Array(5).fill({}), inBucket, outBucket),
  ]);
  const uuids = jobs.flatMap((j) => j.status!.tasks!.map((t) => t.uuid));
  for (const base of [a.url, b.url]) {
    const probe = new TestRunner(base);
    probe.runnerToken = runners[0]!.runnerToken; // registered through b: a must know it too
    await waitFor(`all tasks visible on ${base}`, async () => {
      const r = await probe.request();
      const listed = new Set(r.body.availableJobs?.map((j: any) => j.uuid));
      return uuids.every((u) => listed.has(u)) ? true : undefined;
    });
  }
  const attempts = Array.from({ length: 50 }, (_, i) => {
    const runner = runners[i % 10]!;
    const replica = i % 2 ? a.url : b.url;
    const uuid = uuids[i % 10]!;
    return postJson(`${replica}/api/v1/runners/jobs/${uuid}/accept`, { runnerToken: runner.runnerToken }).then((res) => ({ res, uuid }));
  });
  const results = await Promise.all(attempts);
  const won = results.filter((x) => x.res.status === 200);
  const lost = results.filter((x) => x.res.status !== 200);
  expect(won).toHaveLength(10);
  expect(new Set(won.map((x) => x.uuid)).size).toBe(10);
  for (const l of lost) {
    expect(l.res.status).toBe(409);
    expect(l.res.body.code).toBe('runner_job_not_in_pending_state');
  }
  // The CRs agree with the answers: the winner's runner and job token are recorded.
  const tasks = (await Promise.all(jobs.map((j) => getJob(ns, j.metadata.name!)))).flatMap((j) => j.status!.tasks!);
  for (const w of won) {
    const t = tasks.find((x) => x.uuid === w.uuid)!;
    expect(t.state).toBe(2);
    expect(t.runner?.name).toBe(w.res.body.job.runner.name);
    expect(t.jobTokenHash).toBe(createHash('sha256').update(w.res.body.job.jobToken).digest('hex'));
  }
});

test('redirect mode: the download answers 302 to a presigned URL that serves the object', async () => {
  const r = new TestRunner(b.url);
  expect((await r.register(regToken)).status).toBe(200);
  const job = await createJobWithTasks(ns, [{ priority: 0 }], inBucket, outBucket);
  const uuid = job.status!.tasks![0]!.uuid;
  await waitFor('task visible', async () => ((await r.request()).body.availableJobs?.some((j: any) => j.uuid === uuid) ? true : undefined));
  const { jobToken, job: accepted } = await r.acceptOk(uuid);
  const res = await postJson(accepted.payload.input.videoFileUrl, { runnerToken: r.runnerToken, jobToken });
  expect(res.status).toBe(302);
  const location = res.headers.get('location')!;
  expect(location).toContain('X-Amz-Signature');
  const file = await fetch(location);
  expect(await file.text()).toBe('source-bytes');
  // What a runner does: POST, follow the redirect.
  const followed = await fetch(accepted.payload.input.videoFileUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ runnerToken: r.runnerToken, jobToken }),
  });
  expect(await followed.text()).toBe('source-bytes');
});
