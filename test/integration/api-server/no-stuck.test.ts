// Issue 13 against a real api-server process, kube-apiserver + etcd and moto: results with any
// number of files (manifest for long key lists), a success refused mid-body leaves nothing
// half-done, a result the job status cannot hold fails the task for good, Socket.IO works over both
// transports, and upstream errors reach clients as problem documents without internals.
import { request as httpRequest } from 'node:http';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { io as ioClient, type Socket } from 'socket.io-client';
import { waitFor } from '../../env/process.js';
import { MAX_RESULT_FILES, INLINE_KEYS } from '../../../lib/jobs/status-limits.js';
import { largestPadding, padding } from '../../helpers/etcd-limit.js';
import {
  ADMIN_TOKEN,
  TestRunner,
  createBucket,
  createJobWithTasks,
  createNamespace,
  createRegistrationSecret,
  objects,
  postJson,
  s3,
  startApiServer,
  taskOf,
  type ApiServerProcess,
  type TaskSeed,
} from './harness.js';

let ns: string;
let server: ApiServerProcess;
let inBucket: string;
let outBucket: string;
let regToken: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  ns = await createNamespace('no-stuck');
  [inBucket, outBucket] = await Promise.all([createBucket('in'), createBucket('out')]);
  await s3.send(new PutObjectCommand({ Bucket: inBucket, Key: 'src/clip.mp4', Body: Buffer.from('bytes'), ContentType: 'video/mp4' }));
  regToken = (await createRegistrationSecret(ns)).token;
  server = await startApiServer(ns);
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await server?.stop();
});

async function registered(): Promise<TestRunner> {
  const r = new TestRunner(server.url);
  expect((await r.register(regToken)).status).toBe(200);
  return r;
}

async function accepted(runner: TestRunner, seed: TaskSeed, specExtra: Record<string, unknown> = {}, name?: string) {
  const job = await createJobWithTasks(ns, [seed], inBucket, outBucket, specExtra, name);
  const task = job.status!.tasks![0]!;
  await waitFor(`task ${task.uuid} listed`, async () => {
    const r = await runner.request(seed.type ? [seed.type] : undefined);
    return r.body.availableJobs?.find((j: { uuid: string }) => j.uuid === task.uuid);
  });
  const { jobToken } = await runner.acceptOk(task.uuid);
  return { job, task, jobToken };
}

const thumbSeed = (prefix: string): TaskSeed => ({
  type: 'ct-thumbnails',
  payload: { input: { videoFileUrl: '/x' }, output: {} },
  placement: { bucket: outBucket, prefix },
});

const frameName = (i: number) => `t${String(i).padStart(6, '0')}.jpg`;

async function exists(bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

/** Internals a problem body must never show: client-node's ApiException text, URLs, raw headers. */
function expectNoInternals(body: unknown): void {
  const text = JSON.stringify(body);
  for (const leak of ['HTTP-Code', 'Headers', 'audit-id', 'x-kubernetes', 'https://127.0.0.1', '/apis/', 'etcdserver']) {
    expect(text).not.toContain(leak);
  }
}

describe('success with many files', () => {
  test('120 interval frames in one success → 204; the result keeps 10 keys, the count, the prefix and a manifest of all', async () => {
    const r = await registered();
    const prefix = `many/${Date.now()}/`;
    const { job, task, jobToken } = await accepted(r, thumbSeed(prefix));
    const files = Array.from({ length: 120 }, (_, i) => ({ field: 'payload[imageFiles]', name: frameName(i + 1), data: `frame ${i + 1}` }));
    const res = await r.success(task.uuid, jobToken, files);
    expect(res.status).toBe(204);
    const cr = await taskOf(ns, job.metadata.name!, task.uuid);
    expect(cr.state).toBe(3);
    expect(cr.result?.keys).toHaveLength(INLINE_KEYS);
    expect(cr.result?.keyCount).toBe(120);
    expect(cr.result?.keyPrefix).toBe(`${prefix}t000`);
    const manifest = JSON.parse(
      await (await s3.send(new GetObjectCommand({ Bucket: outBucket, Key: cr.result!.manifest! }))).Body!.transformToString(),
    ) as string[];
    expect(manifest).toEqual(files.map((f) => prefix + f.name));
    expect(await exists(outBucket, `${prefix}${frameName(120)}`)).toBe(true);
  });
});

/** A multipart success body sent in two pieces with a pause, like a runner streaming real frames. */
function slowSuccess(url: string, fields: Record<string, string>, files: { name: string; data: Buffer }[], splitAfter: number) {
  const boundary = `----ct${Date.now()}`;
  const part = (head: string, data: Buffer | string) =>
    Buffer.concat([Buffer.from(`--${boundary}\r\n${head}\r\n\r\n`), Buffer.from(data), Buffer.from('\r\n')]);
  const head = Object.entries(fields).map(([k, v]) => part(`Content-Disposition: form-data; name="${k}"`, v));
  const parts = files.map((f) =>
    part(`Content-Disposition: form-data; name="payload[imageFiles]"; filename="${f.name}"\r\nContent-Type: image/jpeg`, f.data),
  );
  const first = Buffer.concat([...head, ...parts.slice(0, splitAfter)]);
  const rest = Buffer.concat([...parts.slice(splitAfter), Buffer.from(`--${boundary}--\r\n`)]);
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(err)));
    req.write(first);
    // The rest arrives while the api-server is authenticating and writing COMPLETING for part 1.
    setTimeout(() => req.end(rest), 5);
  });
}

describe('a failed success is undone as one story', () => {
  test('too many files mid-body → 400; the task is PROCESSING again, no file stays stored, and a retry completes', async () => {
    const r = await registered();
    const prefix = `undo/${Date.now()}/`;
    const { job, task, jobToken } = await accepted(r, thumbSeed(prefix));
    const files = Array.from({ length: MAX_RESULT_FILES + 1 }, (_, i) => ({
      name: frameName(i + 1),
      data: i === 0 ? Buffer.alloc(256 * 1024, 7) : Buffer.from('x'),
    }));
    const res = await slowSuccess(
      `${server.url}/api/v1/runners/jobs/${task.uuid}/success`,
      { runnerToken: r.runnerToken, jobToken },
      files,
      1,
    );
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe('Too many files');
    // Settled, not in COMPLETING (today's watchdog would wait 30 minutes), and nothing left in S3.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await taskOf(ns, job.metadata.name!, task.uuid)).state).toBe(2);
    expect(await exists(outBucket, `${prefix}${frameName(1)}`)).toBe(false);
    const retry = await r.success(task.uuid, jobToken, [{ field: 'payload[imageFiles]', name: frameName(1), data: 'one' }]);
    expect(retry.status).toBe(204);
    expect((await taskOf(ns, job.metadata.name!, task.uuid)).result?.keys).toEqual([`${prefix}${frameName(1)}`]);
  });

  test('a bad file after a stored one → 400; the stored one is removed and the task is PROCESSING', async () => {
    const r = await registered();
    const prefix = `orphan/${Date.now()}/`;
    const { job, task, jobToken } = await accepted(r, thumbSeed(prefix));
    const res = await r.success(task.uuid, jobToken, [
      { field: 'payload[imageFiles]', name: frameName(1), data: 'one' },
      { field: 'payload[imageFiles]', name: '..evil.jpg', data: 'x' },
    ]);
    expect(res.status).toBe(400);
    expect((await taskOf(ns, job.metadata.name!, task.uuid)).state).toBe(2);
    expect(await exists(outBucket, `${prefix}${frameName(1)}`)).toBe(false);
  });
});

describe('a result the job status cannot hold', () => {
  test('etcd refuses the COMPLETED write → 413 without internals; the task errors for good; its files are removed', async () => {
    const r = await registered();
    const prefix = `big/${'p'.repeat(600)}/`;
    // The largest job (padding in spec.cancelTasks) whose creation, seeded status and accept fit.
    const limit = await largestPadding(objects, ns, (pad, name) =>
      createJobWithTasks(ns, [{ ...thumbSeed(prefix), state: 2 }], inBucket, outBucket, { cancelTasks: pad }, name),
    );
    const { job, task, jobToken } = await accepted(r, thumbSeed(prefix), { cancelTasks: padding(limit - 2048) });
    // 10 long keys (~6 KB) in the result cannot fit in the ~2 KB left.
    const files = Array.from({ length: INLINE_KEYS }, (_, i) => ({
      field: 'payload[imageFiles]',
      name: `${'f'.repeat(200)}${i}.jpg`,
      data: 'x',
    }));
    const res = await r.success(task.uuid, jobToken, files);
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expectNoInternals(res.body);
    const cr = await taskOf(ns, job.metadata.name!, task.uuid);
    expect(cr.state).toBe(4);
    expect(cr.error).toContain('cannot be recorded');
    expect(await exists(outBucket, `${prefix}${files[0]!.name}`)).toBe(false);
    // A runner reporting the error afterwards gets the protocol answer, not a retry loop.
    expect((await r.error(task.uuid, jobToken, 'upload failed')).status).toBe(404); // the job token ended with the task
  });
});

describe('Socket.IO transports', () => {
  function connect(transports: ('polling' | 'websocket')[], runnerToken: string): Promise<Socket> {
    const socket = ioClient(`${server.url}/runners`, { auth: { runnerToken }, transports, reconnection: false, upgrade: false });
    sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (err) => reject(new Error(`${transports.join('+')}: ${err.message}`)));
    });
  }

  test('a polling-only and a websocket-only runner both connect and hear available-jobs', async () => {
    const r = await registered();
    const polling = await connect(['polling'], r.runnerToken);
    const websocket = await connect(['websocket'], r.runnerToken);
    expect(polling.io.engine.transport.name).toBe('polling');
    expect(websocket.io.engine.transport.name).toBe('websocket');
    const heard = (s: Socket) =>
      Promise.race([
        new Promise<string>((resolve) => s.once('available-jobs', () => resolve('heard'))),
        new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
      ]);
    const both = Promise.all([heard(polling), heard(websocket)]);
    await createJobWithTasks(ns, [{}], inBucket, outBucket);
    expect(await both).toEqual(['heard', 'heard']);
    // The raw handshake of the polling transport is engine.io's, not an express 404.
    const handshake = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
    expect(handshake.status).toBe(200);
    expect(await handshake.text()).toMatch(/^0\{"sid":/);
  });
});

describe('upstream errors as problem documents', () => {
  test('registration token for a namespace that does not exist → 404 problem+json without internals', async () => {
    const all = await startApiServer(ns, { CT_NAMESPACE: '' });
    try {
      const res = await postJson(
        `${all.url}/api/v1/runners/registration-tokens/generate`,
        { namespace: 'no-such-namespace-13' },
        { authorization: `Bearer ${ADMIN_TOKEN}` },
      );
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.detail).toBe('Namespace no-such-namespace-13 does not exist');
      expectNoInternals(res.body);
    } finally {
      await all.stop();
    }
  });
});
