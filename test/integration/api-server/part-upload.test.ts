// Issue 18: a VIDEO result uploaded while ffmpeg writes it — the runner's part upload (body first,
// MP4 header last) to a real api-server and moto S3, with the runner's own processor and ffmpeg.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { waitFor } from '../../env/process.js';
import { createLogger } from '../../../lib/log.js';
import { MIN_PART_BYTES, partListProblem } from '../../../lib/peertube/part-upload.js';
import { openInput } from '../../../runner/input.js';
import { runCommand } from '../../../runner/ffmpeg.js';
import { ctVideoProcessor } from '../../../runner/processors/ct-video.js';
import type { JobContext } from '../../../runner/processors/types.js';
import { ProtocolClient, type AcceptedJob } from '../../../runner/protocol-client.js';
import {
  TestRunner,
  createBucket,
  createJobWithTasks,
  createNamespace,
  createRegistrationSecret,
  postJson,
  s3,
  startApiServer,
  taskOf,
  type ApiServerProcess,
} from './harness.js';

const exec = promisify(execFile);
let ns: string;
let server: ApiServerProcess;
let outBucket: string;
let regToken: string;
let root: string;
let noisy: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ct-part-upload-'));
  ns = await createNamespace('parts');
  outBucket = await createBucket('out');
  regToken = (await createRegistrationSecret(ns)).token;
  server = await startApiServer(ns);
  // Noise keeps the encoder at its bitrate: a result of ~20 MB, i.e. several parts.
  noisy = join(root, 'noisy.mp4');
  await exec('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=6,noise=alls=40:allf=t'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=6', '-c:v', 'libx264', '-preset', 'ultrafast'],
    ...['-pix_fmt', 'yuv420p', '-g', '25', '-c:a', 'aac', '-shortest', '-movflags', '+faststart', noisy],
  ]);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A ct-video-transcoding task accepted by a fresh runner: the runner's client and job as the runner holds them. */
async function acceptedTask(): Promise<{ client: ProtocolClient; runnerToken: string; job: AcceptedJob; key: string; jobName: string }> {
  const r = new TestRunner(server.url);
  expect((await r.register(regToken)).status).toBe(200);
  const created = await createJobWithTasks(ns, [{ type: 'ct-video-transcoding', payload: {} }], 'in-bucket', outBucket);
  const task = created.status!.tasks![0]!;
  await waitFor(
    'task listed',
    async () => ((await r.request(['ct-video-transcoding'])).body?.availableJobs?.length ? true : undefined),
    30_000,
    100,
  );
  const { jobToken, job } = await r.acceptOk(task.uuid);
  return {
    client: new ProtocolClient(server.url),
    runnerToken: r.runnerToken,
    job: { uuid: task.uuid, type: job.type, payload: job.payload, jobToken },
    key: `out/${task.uuid}.mp4`,
    jobName: created.metadata.name!,
  };
}

async function uploadsLeft(key: string): Promise<number> {
  const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: outBucket, Prefix: key }));
  return out.Uploads?.length ?? 0;
}

async function object(key: string): Promise<Buffer | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: outBucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  } catch {
    return undefined;
  }
}

function context(dir: string): JobContext {
  const logger = createLogger('test');
  const signal = new AbortController().signal;
  const settings = { threads: 0, nice: 0 };
  return {
    job: { uuid: 'local', type: 'ct-video-transcoding', jobToken: 'x', payload: {} },
    dir,
    logger,
    signal,
    settings,
    download: () => Promise.reject(new Error('no other input')),
    openInput: (_url, name) => openInput(createReadStream(noisy), join(dir, name), signal, () => undefined),
    ffmpeg: (cmd, label, totalSec) => runCommand(cmd, { label, settings, signal, logger, ...(totalSec !== undefined ? { totalSec } : {}) }),
  };
}

test('part lists: numbered 1..N, 5 MiB but the last, adding up to the size', () => {
  const p = (partNumber: number, size: number) => ({ partNumber, size, sha256: '0'.repeat(64), etag: '"e"' });
  const file = (size: number, parts: ReturnType<typeof p>[]) => ({ field: 'payload[videoFile]' as const, uploadId: 'u', size, parts });
  expect(partListProblem(file(MIN_PART_BYTES + 10, [p(1, MIN_PART_BYTES), p(2, 10)]))).toBeUndefined();
  expect(partListProblem(file(10, [p(1, 10)]))).toBeUndefined();
  expect(partListProblem(file(MIN_PART_BYTES + 10, [p(2, 10), p(1, MIN_PART_BYTES)]))).toMatch(/part 1 is missing/);
  expect(partListProblem(file(20, [p(1, 10), p(2, 10)]))).toMatch(/part 1 has 10 bytes, below the 5 MiB minimum/);
  expect(partListProblem(file(MIN_PART_BYTES + 99, [p(1, MIN_PART_BYTES), p(2, 10)]))).toMatch(/truncated/);
});

test('a VIDEO result is uploaded while ffmpeg writes it, header last; the object is byte-identical to ffmpeg file', async () => {
  const { client, runnerToken, job, key, jobName } = await acceptedTask();
  const dir = mkdtempSync(join(root, 'job-'));
  const result = await ctVideoProcessor.process(context(dir), {
    input: {
      videoFileUrl: '/in',
      hasAudio: true,
      media: { durationSec: 6, hasVideo: true, hasAudio: true, width: 640, height: 360, fps: 25 },
    },
    output: {
      encoding: {
        ...{ width: 640, height: 360, fps: 25, videoCodec: 'mpeg4', videoBitrate: '30000k' },
        ...{ audioCodec: 'aac', audioBitrate: '128k', container: 'mp4' },
      },
      fileName: 'out.mp4',
    },
  });
  const file = result.files[0]!;
  expect(file.headBytes).toBeGreaterThan(0);
  // Watch S3 while ffmpeg runs: parts of the upload must be there before it ends.
  let ended = false;
  let partsDuringEncode = 0;
  void file.ready!.finally(() => (ended = true));
  const watch = (async () => {
    while (!ended) {
      const up = (await s3.send(new ListMultipartUploadsCommand({ Bucket: outBucket, Prefix: key }))).Uploads?.[0];
      if (up && !ended) {
        const parts = (await s3.send(new ListPartsCommand({ Bucket: outBucket, Key: key, UploadId: up.UploadId! }))).Parts ?? [];
        if (!ended) partsDuringEncode = Math.max(partsDuringEncode, parts.length);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await client.success(runnerToken, job, {}, result.files);
  await watch;
  const local = readFileSync(file.path);
  expect(local.length).toBeGreaterThan(3 * MIN_PART_BYTES);
  expect(partsDuringEncode).toBeGreaterThanOrEqual(1);
  const stored = await object(key);
  expect(stored?.length).toBe(local.length);
  expect(sha(stored!)).toBe(sha(local));
  // moov before mdat in what was stored: the header was sent after ffmpeg filled it in.
  const ftyp = stored!.readUInt32BE(0);
  expect(stored!.toString('latin1', ftyp + 4, ftyp + 8)).toBe('moov');
  expect((await s3.send(new HeadObjectCommand({ Bucket: outBucket, Key: key }))).ContentType).toBe('video/mp4');
  const task = await taskOf(ns, jobName, job.uuid);
  expect(task).toMatchObject({ state: 3, result: { bucket: outBucket, keys: [key], size: local.length } });
  expect(await uploadsLeft(key)).toBe(0);
}, 180_000);

test('a part changed after it was sent is sent again: the object is still the final file', async () => {
  const { client, runnerToken, job, key } = await acceptedTask();
  const path = join(root, `rewrite-${job.uuid}.bin`);
  const body = Buffer.alloc(3 * MIN_PART_BYTES + 1234, 1);
  const ready = (async () => {
    writeFileSync(path, body.subarray(0, 2 * MIN_PART_BYTES + 10));
    await new Promise((r) => setTimeout(r, 1500)); // part 2 goes out meanwhile
    const f = await open(path, 'r+');
    await f.write(Buffer.alloc(100, 9), 0, 100, MIN_PART_BYTES + 50); // inside part 2, beyond the declared head
    await f.write(body.subarray(2 * MIN_PART_BYTES + 10), 0, body.length - 2 * MIN_PART_BYTES - 10, 2 * MIN_PART_BYTES + 10);
    await f.write(Buffer.from('HEAD'), 0, 4, 0);
    await f.close();
  })();
  await client.success(runnerToken, job, {}, [{ field: 'payload[videoFile]', path, ready, headBytes: 1000 }]);
  expect(sha((await object(key))!)).toBe(sha(readFileSync(path)));
  expect(await uploadsLeft(key)).toBe(0);
}, 120_000);

test('ffmpeg failing mid-upload aborts the multipart upload; no object, the task stays PROCESSING for the error report', async () => {
  const { client, runnerToken, job, key, jobName } = await acceptedTask();
  const path = join(root, `fail-${job.uuid}.bin`);
  let sentSome = false;
  const ready = (async () => {
    writeFileSync(path, Buffer.alloc(2 * MIN_PART_BYTES + 10, 3));
    sentSome = await waitFor(
      'a part in S3',
      async () => {
        const up = (await s3.send(new ListMultipartUploadsCommand({ Bucket: outBucket, Prefix: key }))).Uploads?.[0];
        if (!up) return undefined;
        const parts = await s3.send(new ListPartsCommand({ Bucket: outBucket, Key: key, UploadId: up.UploadId! }));
        return parts.Parts?.length ? true : undefined;
      },
      30_000,
      50,
    );
    throw new Error('ffmpeg failed (ct video): exit 1');
  })();
  await expect(client.success(runnerToken, job, {}, [{ field: 'payload[videoFile]', path, ready, headBytes: 1000 }])).rejects.toThrow(
    'ffmpeg failed (ct video): exit 1',
  );
  expect(sentSome).toBe(true);
  expect(await uploadsLeft(key)).toBe(0);
  expect(await object(key)).toBeUndefined();
  expect((await taskOf(ns, jobName, job.uuid)).state).toBe(2);
  await client.error(runnerToken, job, 'ffmpeg failed');
  expect((await taskOf(ns, jobName, job.uuid)).state).not.toBe(2);
}, 120_000);

describe('refused uploads', () => {
  const api = (path: string) => `${server.url}/api/v1/runners${path}`;
  async function part(uuid: string, uploadId: string, n: number, fields: Record<string, string>, data: Buffer) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('part', new Blob([data]), 'part');
    const res = await fetch(api(`/jobs/${uuid}/ct-uploads/${encodeURIComponent(uploadId)}/parts/${n}`), { method: 'POST', body: form });
    return { status: res.status, body: (await res.json()) as { detail?: string; etag?: string } };
  }

  test('a damaged or truncated part is refused with the numbers; it never reaches S3', async () => {
    const { runnerToken, job, key } = await acceptedTask();
    const tokens = { runnerToken, jobToken: job.jobToken, field: 'payload[videoFile]' };
    const created = await postJson(api(`/jobs/${job.uuid}/ct-uploads`), tokens);
    expect(created.status).toBe(200);
    const uploadId = created.body.uploadId as string;
    const data = Buffer.alloc(1000, 5);
    const damaged = await part(job.uuid, uploadId, 2, { ...tokens, size: '1000', sha256: sha(Buffer.alloc(1000, 6)) }, data);
    expect(damaged.status).toBe(400);
    expect(damaged.body.detail).toMatch(/Part 2 of payload\[videoFile\] is damaged or truncated: received 1000 bytes/);
    const short = await part(job.uuid, uploadId, 2, { ...tokens, size: '2000', sha256: sha(data) }, data);
    expect(short.status).toBe(400);
    expect(short.body.detail).toMatch(/received 1000 bytes .* the runner sent 2000 bytes/);
    const parts = await s3.send(new ListPartsCommand({ Bucket: outBucket, Key: key, UploadId: uploadId }));
    expect(parts.Parts ?? []).toHaveLength(0);
    // Another file of the task (or none) cannot be reached this way.
    expect((await postJson(api(`/jobs/${job.uuid}/ct-uploads`), { ...tokens, field: 'payload[imageFiles]' })).status).toBe(400);
    expect((await postJson(api(`/jobs/${job.uuid}/ct-uploads`), { ...tokens, jobToken: 'ptrjt-wrong' })).status).toBe(404);
    expect((await postJson(api(`/jobs/${job.uuid}/ct-uploads/${uploadId}/abort`), tokens)).status).toBe(204);
    expect(await uploadsLeft(key)).toBe(0);
  });

  test('a success naming a truncated upload is refused; the upload is aborted and the task can still report', async () => {
    const { client, runnerToken, job, key, jobName } = await acceptedTask();
    const tokens = { runnerToken, jobToken: job.jobToken, field: 'payload[videoFile]' };
    const uploadId = (await postJson(api(`/jobs/${job.uuid}/ct-uploads`), tokens)).body.uploadId as string;
    const head = Buffer.alloc(MIN_PART_BYTES, 1);
    const tail = Buffer.alloc(500, 2);
    const e1 = (await part(job.uuid, uploadId, 1, { ...tokens, size: String(head.length), sha256: sha(head) }, head)).body.etag!;
    const e2 = (await part(job.uuid, uploadId, 2, { ...tokens, size: String(tail.length), sha256: sha(tail) }, tail)).body.etag!;
    const p1 = { partNumber: 1, size: head.length, sha256: sha(head), etag: e1 };
    const p2 = { partNumber: 2, size: tail.length, sha256: sha(tail), etag: e2 };
    const success = async (uploads: unknown) => {
      const form = new FormData();
      form.append('runnerToken', runnerToken);
      form.append('jobToken', job.jobToken);
      form.append('ctUploads', JSON.stringify(uploads));
      const res = await fetch(api(`/jobs/${job.uuid}/success`), { method: 'POST', body: form });
      return { status: res.status, body: (await res.json()) as { detail?: string } };
    };
    // The runner claims more bytes than the parts hold, then a part S3 never got.
    const truncated = await success([{ field: 'payload[videoFile]', uploadId, size: head.length + tail.length + 1, parts: [p1, p2] }]);
    expect(truncated.status).toBe(400);
    expect(truncated.body.detail).toMatch(/the parts hold \d+ bytes but the file has \d+: the upload is truncated/);
    expect(await uploadsLeft(key)).toBe(0); // aborted by the refused success
    // A new upload with only part 1 in S3, the success claiming part 2 as well.
    const other = (await postJson(api(`/jobs/${job.uuid}/ct-uploads`), tokens)).body.uploadId as string;
    const o1 = (await part(job.uuid, other, 1, { ...tokens, size: String(head.length), sha256: sha(head) }, head)).body.etag!;
    const missing = await success([
      { field: 'payload[videoFile]', uploadId: other, size: head.length + tail.length, parts: [{ ...p1, etag: o1 }, p2] },
    ]);
    expect(missing.status).toBe(400);
    expect(missing.body.detail).toMatch(/part 2 never arrived/);
    expect(await uploadsLeft(key)).toBe(0); // aborted by the refused success
    expect(await object(key)).toBeUndefined();
    expect((await taskOf(ns, jobName, job.uuid)).state).toBe(2);
    // A completion against the aborted upload is a clear 404, not a stored file.
    const late = await success([{ field: 'payload[videoFile]', uploadId, size: head.length + tail.length, parts: [p1, p2] }]);
    expect(late.status).toBe(404);
    expect(late.body.detail).toMatch(/Unknown upload/);
    await expect(client.error(runnerToken, job, 'upload refused')).resolves.toBeUndefined();
  });

  test('a bad ctUploads field is a 400 naming it', async () => {
    const { runnerToken, job } = await acceptedTask();
    const form = new FormData();
    form.append('runnerToken', runnerToken);
    form.append('jobToken', job.jobToken);
    form.append('ctUploads', '{not json');
    const res = await fetch(api(`/jobs/${job.uuid}/success`), { method: 'POST', body: form });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/ctUploads is not JSON/);
  });
});
