// Graceful shutdown: on SIGTERM the api-server stops taking new connections but lets an upload in
// flight finish (the result is stored and the task completed) before it exits cleanly.
import { execFileSync } from 'node:child_process';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { waitFor } from '../../env/process.js';
import {
  TestRunner,
  createBucket,
  createJobWithTasks,
  createNamespace,
  createRegistrationSecret,
  s3,
  startApiServer,
  taskOf,
  type ApiServerProcess,
} from './harness.js';

let server: ApiServerProcess;
afterAll(async () => server?.stop());

test('SIGTERM during a success upload: the upload completes, new connections are refused, exit code 0', async () => {
  const ns = await createNamespace('api-shutdown');
  const [inBucket, outBucket] = await Promise.all([createBucket('in'), createBucket('out')]);
  const { token } = await createRegistrationSecret(ns);
  server = await startApiServer(ns);
  const r = new TestRunner(server.url);
  expect((await r.register(token)).status).toBe(200);
  const job = await createJobWithTasks(ns, [{}], inBucket, outBucket);
  const uuid = job.status!.tasks![0]!.uuid;
  await waitFor('task visible', async () => ((await r.request()).body.availableJobs?.some((j: any) => j.uuid === uuid) ? true : undefined));
  const { jobToken } = await r.acceptOk(uuid);

  // A hand-made multipart body streamed slowly: 12 chunks of 256 KiB, 300 ms apart.
  const boundary = 'ctShutdownBoundary';
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="runnerToken"\r\n\r\n${r.runnerToken}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="jobToken"\r\n\r\n${jobToken}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="payload[videoFile]"; filename="v.mp4"\r\nContent-Type: video/mp4\r\n\r\n`;
  const CHUNKS = 12;
  const chunk = Buffer.alloc(256 * 1024, 1);
  let sent = 0;
  let firstSent!: () => void;
  const started = new Promise<void>((res) => (firstSent = res));
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent === 0) controller.enqueue(new TextEncoder().encode(head));
      if (sent < CHUNKS) {
        controller.enqueue(chunk);
        sent += 1;
        if (sent === 1) firstSent();
        await new Promise((res) => setTimeout(res, 300));
      } else {
        controller.enqueue(new TextEncoder().encode(`\r\n--${boundary}--\r\n`));
        controller.close();
      }
    },
  });
  const upload = fetch(`${server.url}/api/v1/runners/jobs/${uuid}/success`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    body,
    duplex: 'half',
  } as RequestInit);
  await started;
  // The server is in the middle of it once the task is COMPLETING (written at the first file part).
  await waitFor(
    'upload in progress',
    async () => ((await taskOf(ns, job.metadata.name!, uuid)).state === 9 ? true : undefined),
    10_000,
    50,
  );
  // Signal the api-server itself (its supervisor would SIGKILL after 3 s).
  const pid = Number(
    execFileSync('pgrep', ['-P', String(server.proc.pid), '-f', 'api-server/main.js'])
      .toString()
      .trim(),
  );
  process.kill(pid, 'SIGTERM');
  // New connections are refused while the upload is still streaming.
  await waitFor(
    'listener closed',
    () =>
      fetch(`${server.url}/healthz`).then(
        () => undefined,
        () => true,
      ),
    5000,
    100,
  );
  expect(sent).toBeLessThan(CHUNKS);
  const res = await upload;
  expect(res.status).toBe(204);
  expect(sent).toBe(CHUNKS);
  const headObj = await s3.send(new HeadObjectCommand({ Bucket: outBucket, Key: `out/${uuid}.mp4` }));
  expect(headObj.ContentLength).toBe(CHUNKS * chunk.length);
  expect((await taskOf(ns, job.metadata.name!, uuid)).state).toBe(3);
  expect(await server.proc.exited).toBe(0);
});
