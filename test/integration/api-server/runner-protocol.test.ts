// The PeerTube runner protocol against a real api-server process, real kube-apiserver and moto:
// every endpoint, status code and problem `code` of docs/peertube-runner-protocol.md §2–10.
import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { io as ioClient, type Socket } from 'socket.io-client';
import { waitFor } from '../../env/process.js';
import { GROUP, VERSION } from '../../../lib/kube/resources.js';
import {
  ADMIN_TOKEN,
  TestRunner,
  createBucket,
  createJobWithTasks,
  createNamespace,
  createRegistrationSecret,
  filesPath,
  getJob,
  mutateJobStatus,
  objects,
  postForm,
  postJson,
  s3,
  send,
  startApiServer,
  taskOf,
  type ApiServerProcess,
} from './harness.js';

let ns: string;
let server: ApiServerProcess;
let inBucket: string;
let outBucket: string;
let regToken: string;
const sockets: Socket[] = [];

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const SOURCE = Buffer.from('not really a video, but bytes to stream: '.repeat(5000));

beforeAll(async () => {
  ns = await createNamespace('api-proto');
  [inBucket, outBucket] = await Promise.all([createBucket('in'), createBucket('out')]);
  await s3.send(new PutObjectCommand({ Bucket: inBucket, Key: 'src/clip.mp4', Body: SOURCE, ContentType: 'video/mp4' }));
  regToken = (await createRegistrationSecret(ns)).token;
  server = await startApiServer(ns);
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await server?.stop();
});

async function registered(): Promise<TestRunner> {
  const r = new TestRunner(server.url);
  const res = await r.register(regToken);
  expect(res.status).toBe(200);
  return r;
}

/** Waits until the api-server's cache lists `uuid` to this runner. */
async function visible(runner: TestRunner, uuid: string, jobTypes?: string[]): Promise<any> {
  return waitFor(`task ${uuid} listed`, async () => {
    const r = await runner.request(jobTypes);
    return r.body.availableJobs?.find((j: any) => j.uuid === uuid);
  });
}

async function processingTask(runner: TestRunner, seed: Parameters<typeof createJobWithTasks>[1][number] = {}) {
  const job = await createJobWithTasks(ns, [seed], inBucket, outBucket);
  const task = job.status!.tasks![0]!;
  await visible(runner, task.uuid, seed.type && !seed.type.startsWith('vod') ? [seed.type] : undefined);
  const { jobToken, job: accepted } = await runner.acceptOk(task.uuid);
  return { job, task, jobToken, accepted };
}

describe('register / unregister', () => {
  test('register answers 200 {id, runnerToken} and stores only a hash in a TranscodeRunner', async () => {
    const r = new TestRunner(server.url);
    const res = await r.register(regToken, 'runner-register-ok');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: expect.any(Number), runnerToken: expect.stringMatching(/^ptrt-[0-9a-f-]{36}$/) });
    const list = (await objects.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: 'transcoderunners',
    })) as any;
    const cr = list.items.find((x: any) => x.spec.runnerName === 'runner-register-ok');
    expect(cr.status.runnerTokenHash).toBe(sha256(r.runnerToken));
    expect(cr.status.runnerId).toBe(res.body.id);
    expect(JSON.stringify(cr)).not.toContain(r.runnerToken);
  });

  test('bad registration token → 404; duplicate name → 400; invalid body → 400', async () => {
    const bad = await postJson(`${server.url}/api/v1/runners/register`, { registrationToken: 'ptrrt-nope', name: 'x' });
    expect(bad.status).toBe(404);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.detail).toBe('Registration token is invalid');
    const r = new TestRunner(server.url);
    expect((await r.register(regToken, 'dup-name')).status).toBe(200);
    const dup = await new TestRunner(server.url).register(regToken, 'dup-name');
    expect(dup.status).toBe(400);
    expect(dup.body.detail).toBe('This runner name already exists on this instance');
    const invalid = await postJson(`${server.url}/api/v1/runners/register`, { registrationToken: regToken, name: '' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.detail).toContain('/name');
    const notJson = await send(`${server.url}/api/v1/runners/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{oops',
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.detail).toBe('Request body is not valid JSON');
  });

  test.each([
    ['NUL', 'evil\u0000runner'],
    ['a right-to-left override (U+202E)', 'runner\u202Egnp.exe'],
    ['a zero-width space', 'run\u200Bner'],
    ['a newline', 'runner\nfake log line'],
    ['an escape sequence', 'runner\u001b[31m'],
  ])('a runner name with %s is refused at registration (400 problem+json) and not stored', async (_what, name) => {
    const res = await postJson(`${server.url}/api/v1/runners/register`, { registrationToken: regToken, name });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.detail).toContain('/name');
    const list = (await objects.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: 'transcoderunners',
    })) as { items: { spec: { runnerName: string } }[] };
    expect(list.items.map((x) => x.spec.runnerName)).not.toContain(name);
  });

  test('a runner name with accents, CJK and spaces is accepted', async () => {
    expect((await new TestRunner(server.url).register(regToken, 'Коля — 工作站 #2')).status).toBe(200);
  });

  test('a Secret with a plain `token` key (Helm) is accepted', async () => {
    const plain = await createRegistrationSecret(ns, { plain: true });
    const r = new TestRunner(server.url);
    const res = await waitFor('plain token accepted', async () => {
      const x = await r.register(plain.token);
      return x.status === 200 ? x : undefined;
    });
    expect(res.body.runnerToken).toMatch(/^ptrt-/);
  });

  test('unregister → 204, then the token is unknown everywhere', async () => {
    const r = await registered();
    expect((await postJson(r.api('/unregister'), { runnerToken: r.runnerToken })).status).toBe(204);
    const again = await postJson(r.api('/unregister'), { runnerToken: r.runnerToken });
    expect(again.status).toBe(404);
    expect(again.body.code).toBe('unknown_runner_token');
    const req = await r.request();
    expect(req.status).toBe(404);
    expect(req.body.code).toBe('unknown_runner_token');
  });
});

describe('jobs/request and accept', () => {
  test('request: pending tasks only, lowest priority first, at most 10, absolute URLs, standard types unless asked', async () => {
    const r = await registered();
    const seeds = [
      ...Array.from({ length: 12 }, (_, i) => ({ priority: 1000 + i })),
      {
        priority: 5,
        type: 'ct-thumbnails',
        payload: { input: { videoFileUrl: '/api/v1/runners/jobs/x/files/videos/y/max-quality' }, output: {} },
      },
      { priority: 1, state: 5, dependsOn: '00000000-0000-4000-8000-000000000000' },
      { priority: 2, state: 2 },
    ];
    const job = await createJobWithTasks(ns, seeds, inBucket, outBucket);
    const tasks = job.status!.tasks!;
    await visible(r, tasks[0]!.uuid);
    const res = await r.request();
    expect(res.status).toBe(200);
    const mine = res.body.availableJobs.filter((j: any) => tasks.some((t) => t.uuid === j.uuid));
    expect(res.body.availableJobs.length).toBeLessThanOrEqual(10);
    // Priorities 1000.. in order; no ct-* type, no waiting/processing task.
    expect(mine.map((j: any) => j.uuid)).toEqual(tasks.slice(0, mine.length).map((t) => t.uuid));
    expect(mine[0]).toEqual({
      uuid: tasks[0]!.uuid,
      type: 'vod-web-video-transcoding',
      payload: {
        input: { videoFileUrl: `${server.url}${filesPath(tasks[0]!.uuid, job.metadata.uid!)}`, separatedAudioFileUrl: [] },
        output: { resolution: 240, fps: 25 },
      },
    });
    const ct = await r.request(['ct-thumbnails']);
    expect(ct.body.availableJobs.map((j: any) => j.uuid)).toContain(tasks[12]!.uuid);
    expect(ct.body.availableJobs.every((j: any) => j.type === 'ct-thumbnails')).toBe(true);
    expect(ct.body.availableJobs.find((j: any) => j.uuid === tasks[12]!.uuid).payload.input.videoFileUrl).toBe(
      `${server.url}/api/v1/runners/jobs/x/files/videos/y/max-quality`,
    );
    const bad = await postJson(r.api('/jobs/request'), { runnerToken: 'ptrt-unknown' });
    expect(bad.status).toBe(404);
    expect(bad.body.code).toBe('unknown_runner_token');
  });

  test('request records the job types asked for in TranscodeRunner status; an official runner (no jobTypes) serves the standard ones', async () => {
    const r = await registered();
    const typesOf = async () => {
      const list = (await objects.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: 'transcoderunners',
      })) as {
        items: { spec: { runnerName: string }; status?: { jobTypes?: string[] } }[];
      };
      return list.items.find((x) => x.spec.runnerName === r.name)?.status?.jobTypes;
    };
    expect((await r.request()).status).toBe(200);
    await waitFor('standard types recorded', async () =>
      JSON.stringify(await typesOf()) ===
      JSON.stringify(['vod-web-video-transcoding', 'vod-hls-transcoding', 'vod-audio-merge-transcoding', 'video-studio-transcoding'])
        ? true
        : undefined,
    );
    expect((await r.request(['ct-thumbnails', 'vod-hls-transcoding', 'ct-thumbnails'])).status).toBe(200);
    await waitFor('asked types recorded', async () =>
      JSON.stringify(await typesOf()) === JSON.stringify(['ct-thumbnails', 'vod-hls-transcoding']) ? true : undefined,
    );
  });

  test('accept: 200 with the RunnerJob and a job token; the CR records the runner and the token hash; a second accept → 409', async () => {
    const [a, b] = await Promise.all([registered(), registered()]);
    const job = await createJobWithTasks(ns, [{ priority: 7 }], inBucket, outBucket);
    const task = job.status!.tasks![0]!;
    await visible(a, task.uuid);
    const res = await a.accept(task.uuid);
    expect(res.status).toBe(200);
    expect(res.body.job).toMatchObject({
      uuid: task.uuid,
      type: 'vod-web-video-transcoding',
      state: { id: 2, label: 'Processing' },
      failures: 0,
      error: null,
      priority: 7,
      finishedAt: null,
      runner: { id: a.id, name: expect.any(String) },
      jobToken: expect.stringMatching(/^ptrjt-/),
    });
    expect(res.body.job.payload.input.videoFileUrl).toBe(`${server.url}${filesPath(task.uuid, job.metadata.uid!)}`);
    const cr = await taskOf(ns, job.metadata.name!, task.uuid);
    expect(cr.state).toBe(2);
    expect(cr.jobTokenHash).toBe(sha256(res.body.job.jobToken));
    expect(cr.runner?.name).toBe(res.body.job.runner.name);
    const second = await b.accept(task.uuid);
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('runner_job_not_in_pending_state');
    expect((await b.accept('00000000-0000-4000-8000-000000000001')).status).toBe(404);
    expect((await b.accept('not-a-uuid')).status).toBe(400);
    const unknown = await postJson(a.api(`/jobs/${task.uuid}/accept`), { runnerToken: 'ptrt-bad' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('unknown_runner_token');
  });
});

describe('abort / error / update', () => {
  test('wrong job token → 404 "Unknown runner job" on every job call', async () => {
    const r = await registered();
    const { task } = await processingTask(r);
    const wrong = 'ptrjt-00000000-0000-4000-8000-000000000000';
    for (const res of [
      await r.abort(task.uuid, wrong),
      await r.error(task.uuid, wrong),
      await r.update(task.uuid, wrong, 5),
      await r.success(task.uuid, wrong, []),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.detail).toBe('Unknown runner job');
    }
    const other = await registered();
    const { jobToken } = await processingTask(r);
    // Right job token, other runner's token: still unknown.
    expect((await other.abort(task.uuid, jobToken)).status).toBe(404);
  });

  test('abort puts the task back to pending (no failure counted) and pings available-jobs', async () => {
    const r = await registered();
    const socket = ioClient(`${server.url}/runners`, {
      auth: { runnerToken: r.runnerToken },
      transports: ['websocket'],
      reconnection: false,
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const { job, task, jobToken } = await processingTask(r);
    let pings = 0;
    socket.on('available-jobs', () => (pings += 1));
    await new Promise((res) => setTimeout(res, 1100)); // past the debounce window of the creation ping
    pings = 0;
    expect((await r.abort(task.uuid, jobToken, 'Runner stopped')).status).toBe(204);
    const cr = await taskOf(ns, job.metadata.name!, task.uuid);
    expect(cr).toMatchObject({ state: 1, failures: 0 });
    expect(cr.runner).toBeUndefined();
    expect(cr.jobTokenHash).toBeUndefined();
    await waitFor('available-jobs after abort', async () => (pings > 0 ? true : undefined), 5000);
    // The token died with the abort.
    expect((await r.update(task.uuid, jobToken, 1)).status).toBe(404);
    const missing = await postJson(r.api(`/jobs/${task.uuid}/abort`), { runnerToken: r.runnerToken, jobToken });
    expect(missing.status).toBe(400); // reason is required
  });

  test('error counts a failure and retries; the 5th failure errors the task and its children', async () => {
    const r = await registered();
    const job = await createJobWithTasks(ns, [{ priority: 3 }], inBucket, outBucket);
    const parent = job.status!.tasks![0]!;
    for (let i = 1; i <= 5; i++) {
      await visible(r, parent.uuid);
      const { jobToken } = await r.acceptOk(parent.uuid);
      expect((await r.error(parent.uuid, jobToken, `failure ${i}`)).status).toBe(204);
      const cr = await taskOf(ns, job.metadata.name!, parent.uuid);
      expect(cr.failures).toBe(i);
      expect(cr.state).toBe(i < 5 ? 1 : 4);
      expect(cr.error).toBe(`failure ${i}`);
    }
  });

  test('update: progress reaches the CR (coalesced), heartbeat refreshes updatedAt; not processing → 400 code', async () => {
    const r = await registered();
    const { job, task, jobToken } = await processingTask(r);
    const before = (await taskOf(ns, job.metadata.name!, task.uuid)).updatedAt;
    for (const p of [10, 20, 42]) expect((await r.update(task.uuid, jobToken, p)).status).toBe(204);
    const cr = await waitFor('progress 42 written', async () => {
      const t = await taskOf(ns, job.metadata.name!, task.uuid);
      return t.progress === 42 ? t : undefined;
    });
    expect(Date.parse(cr.updatedAt)).toBeGreaterThan(Date.parse(before));
    expect((await r.update(task.uuid, jobToken)).status).toBe(204); // no progress: heartbeat only
    const badProgress = await r.update(task.uuid, jobToken, 101);
    expect(badProgress.status).toBe(400);
    const broken = await send(r.api(`/jobs/${task.uuid}/update`), {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
      body: '--XYZ\r\nContent-Disposition: form-data; name="runnerToken"\r\n\r\nabc',
    });
    expect(broken.status).toBe(400);
    const notMultipart = await postJson(r.api(`/jobs/${task.uuid}/update`), { runnerToken: r.runnerToken, jobToken });
    expect(notMultipart.status).toBe(400);
    // Someone else ended the task while the runner still holds its token (e.g. an operator write).
    await mutateJobStatus(ns, job.metadata.name!, (j) => void (j.status!.tasks![0]!.state = 4));
    const res = await waitFor('update refused', async () => {
      const x = await r.update(task.uuid, jobToken, 50);
      return x.status === 400 ? x : undefined;
    });
    expect(res.body.code).toBe('runner_job_not_in_processing_state');
    const s = await r.success(task.uuid, jobToken, [{ field: 'payload[videoFile]', name: 'a.mp4', data: 'x' }]);
    expect(s.status).toBe(400);
    expect(s.body.code).toBe('runner_job_not_in_processing_state');
    expect((await r.abort(task.uuid, jobToken)).body.code).toBe('runner_job_not_in_processing_state');
    expect((await r.error(task.uuid, jobToken)).body.code).toBe('runner_job_not_in_processing_state');
  });
});

describe('file downloads', () => {
  test('max-quality streams the S3 object; wrong video → 403; wrong job token → 404; other inputs', async () => {
    const r = await registered();
    await s3.send(new PutObjectCommand({ Bucket: inBucket, Key: 'src/intro.mp4', Body: 'intro-bytes' }));
    const { job, task, jobToken, accepted } = await processingTask(r, {
      type: 'vod-web-video-transcoding',
      inputs: { video: { bucket: inBucket, key: 'src/clip.mp4' }, taskFiles: { 'intro.mp4': { bucket: inBucket, key: 'src/intro.mp4' } } },
    });
    const url: string = accepted.payload.input.videoFileUrl;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ runnerToken: r.runnerToken, jobToken }),
    });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(SOURCE)).toBe(true);
    const audio = await postJson(`${url}/audio`, { runnerToken: r.runnerToken, jobToken });
    expect(audio.status).toBe(200); // falls back to the video
    const intro = await postJson(`${server.url}${filesPath(task.uuid, job.metadata.uid!, 'studio/task-files/intro.mp4')}`, {
      runnerToken: r.runnerToken,
      jobToken,
    });
    expect(intro.body).toBe('intro-bytes');
    const notTask = await postJson(`${server.url}${filesPath(task.uuid, job.metadata.uid!, 'studio/task-files/other.mp4')}`, {
      runnerToken: r.runnerToken,
      jobToken,
    });
    expect(notTask.status).toBe(400);
    const preview = await postJson(`${server.url}${filesPath(task.uuid, job.metadata.uid!, 'previews/max-quality')}`, {
      runnerToken: r.runnerToken,
      jobToken,
    });
    expect(preview.status).toBe(404);
    const wrongVideo = await postJson(`${server.url}${filesPath(task.uuid, '11111111-1111-4111-8111-111111111111')}`, {
      runnerToken: r.runnerToken,
      jobToken,
    });
    expect(wrongVideo.status).toBe(403);
    const wrongToken = await postJson(url, { runnerToken: r.runnerToken, jobToken: 'ptrjt-x' });
    expect(wrongToken.status).toBe(404);
  });
});

describe('success', () => {
  test('web-video: the file streams to the placement key with storage class / SSE; the task completes and children become pending', async () => {
    const r = await registered();
    const job = await createJobWithTasks(ns, [{ priority: 2 }, { priority: 2, dependsOn: 'PARENT' }], inBucket, outBucket);
    // Fix up the dependency now that the uuids exist.
    const fresh = await getJob(ns, job.metadata.name!);
    const [parent, child] = fresh.status!.tasks!;
    child!.dependsOn = parent!.uuid;
    parent!.placement = { ...parent!.placement, storageClass: 'REDUCED_REDUNDANCY', sse: 'AES256' };
    await objects.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: 'transcodejobs',
      name: job.metadata.name!,
      body: fresh,
    });
    await visible(r, parent!.uuid);
    const { jobToken } = await r.acceptOk(parent!.uuid);
    const video = Buffer.alloc(6 * 1024 * 1024 + 123, 7); // > one multipart part
    const res = await r.success(parent!.uuid, jobToken, [
      { field: 'payload[videoFile]', name: 'whatever.mp4', data: video, type: 'video/mp4' },
    ]);
    expect(res.status).toBe(204);
    const key = `out/${parent!.uuid}.mp4`;
    const head = await s3.send(new HeadObjectCommand({ Bucket: outBucket, Key: key }));
    expect(head.ContentLength).toBe(video.length);
    expect(head.StorageClass).toBe('REDUCED_REDUNDANCY');
    expect(head.ServerSideEncryption).toBe('AES256');
    const after = await getJob(ns, job.metadata.name!);
    const [p, c] = after.status!.tasks!;
    expect(p).toMatchObject({ state: 3, progress: 100, result: { bucket: outBucket, keys: [key], size: video.length } });
    expect(p!.jobTokenHash).toBeUndefined();
    expect(c!.state).toBe(1);
    // The token is spent.
    expect((await r.success(parent!.uuid, jobToken, [])).status).toBe(404);
  });

  test('HLS: playlist rewritten to the stored mp4 name; missing files → 400 and the task stays processing', async () => {
    const r = await registered();
    const { job, task, jobToken } = await processingTask(r, {
      type: 'vod-hls-transcoding',
      placement: {
        bucket: outBucket,
        files: { 'payload[videoFile]': 'hls/out-240-fragmented.mp4', 'payload[resolutionPlaylistFile]': 'hls/out-240.m3u8' },
        rewritePlaylist: true,
      },
    });
    const missing = await r.success(task.uuid, jobToken, [{ field: 'payload[videoFile]', name: 'abc-240-fragmented.mp4', data: 'mp4' }]);
    expect(missing.status).toBe(400);
    expect(missing.body.detail).toContain('payload[resolutionPlaylistFile]');
    expect((await taskOf(ns, job.metadata.name!, task.uuid)).state).toBe(2);
    const none = await r.success(task.uuid, jobToken, []);
    expect(none.status).toBe(400);
    const playlist = [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-MAP:URI="1b2c-240-fragmented.mp4",BYTERANGE="800@0"',
      '#EXTINF:4.0,',
      '#EXT-X-BYTERANGE:1000@800',
      '1b2c-240-fragmented.mp4',
      '#EXT-X-ENDLIST',
    ].join('\n');
    const ok = await r.success(task.uuid, jobToken, [
      { field: 'payload[videoFile]', name: '1b2c-240-fragmented.mp4', data: 'fmp4-bytes' },
      { field: 'payload[resolutionPlaylistFile]', name: '1b2c-240.m3u8', data: playlist },
    ]);
    expect(ok.status).toBe(204);
    const stored = await (await s3.send(new GetObjectCommand({ Bucket: outBucket, Key: 'hls/out-240.m3u8' }))).Body!.transformToString();
    expect(stored).toContain('#EXT-X-MAP:URI="out-240-fragmented.mp4",BYTERANGE="800@0"');
    expect(stored.split('\n')).toContain('out-240-fragmented.mp4');
    expect(stored).not.toContain('1b2c');
    const cr = await taskOf(ns, job.metadata.name!, task.uuid);
    expect(cr.state).toBe(3);
    expect(cr.result?.keys.sort()).toEqual(['hls/out-240-fragmented.mp4', 'hls/out-240.m3u8']);
  });

  test('ct-thumbnails: several imageFiles keep their names under the prefix; unsafe names → 400', async () => {
    const r = await registered();
    const { job, task, jobToken } = await processingTask(r, {
      type: 'ct-thumbnails',
      payload: { input: { videoFileUrl: '/x' }, output: {} },
      placement: { bucket: outBucket, prefix: 'thumbs/t' },
    });
    const unsafe = await r.success(task.uuid, jobToken, [{ field: 'payload[imageFiles]', name: '..evil.jpg', data: 'x' }]);
    expect(unsafe.status).toBe(400);
    const ok = await r.success(task.uuid, jobToken, [
      { field: 'payload[imageFiles]', name: '000001.jpg', data: 'one' },
      { field: 'payload[imageFiles]', name: '000002.jpg', data: 'two' },
    ]);
    expect(ok.status).toBe(204);
    const cr = await taskOf(ns, job.metadata.name!, task.uuid);
    expect(cr.result?.keys).toEqual(['thumbs/t000001.jpg', 'thumbs/t000002.jpg']);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: outBucket, Key: 'thumbs/t000002.jpg' }))).Body!.transformToString()).toBe(
      'two',
    );
  });

  test('success on a task already completing → 409 runner_job_not_in_processing_state; update then is a no-op 204', async () => {
    const r = await registered();
    const { job, task, jobToken } = await processingTask(r);
    await mutateJobStatus(ns, job.metadata.name!, (j) => void (j.status!.tasks![0]!.state = 9));
    const res = await waitFor('success refused', async () => {
      const x = await r.success(task.uuid, jobToken, [{ field: 'payload[videoFile]', name: 'a.mp4', data: 'x' }]);
      return x.status === 409 ? x : undefined;
    });
    expect(res.body.code).toBe('runner_job_not_in_processing_state');
    expect((await r.update(task.uuid, jobToken, 99)).status).toBe(204);
    expect((await taskOf(ns, job.metadata.name!, task.uuid)).state).toBe(9);
  });
});

describe('Socket.IO /runners', () => {
  function connect(auth: Record<string, unknown> | undefined): Promise<{ ok: boolean; error?: string; socket: Socket }> {
    const socket = ioClient(`${server.url}/runners`, { ...(auth ? { auth } : {}), transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    return new Promise((resolve) => {
      socket.once('connect', () => resolve({ ok: true, socket }));
      socket.once('connect_error', (err) => resolve({ ok: false, error: err.message, socket }));
    });
  }

  test('no token / bad token → connect_error; a registered runner connects and hears available-jobs for new tasks', async () => {
    expect(await connect(undefined)).toMatchObject({ ok: false, error: 'No runner token provided' });
    expect(await connect({ runnerToken: 12 })).toMatchObject({ ok: false, error: 'Runner token is invalid' });
    expect(await connect({ runnerToken: 'ptrt-bad' })).toMatchObject({ ok: false, error: 'Invalid runner token.' });
    const r = await registered();
    const { ok, socket } = await connect({ runnerToken: r.runnerToken });
    expect(ok).toBe(true);
    const heard = new Promise<void>((resolve) => socket.once('available-jobs', () => resolve()));
    await createJobWithTasks(ns, [{}], inBucket, outBucket);
    await expect(Promise.race([heard.then(() => 'heard'), new Promise((res) => setTimeout(() => res('timeout'), 5000))])).resolves.toBe(
      'heard',
    );
  });

  test('removing or revoking a runner leaves its socket open (as PeerTube); its next call gets unknown_runner_token', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const settle = () => new Promise((res) => setTimeout(res, 1500));
    // Self-unregister: the server does not close the socket either (the runner disconnects itself).
    const a = await registered();
    const sa = (await connect({ runnerToken: a.runnerToken })).socket;
    expect((await postJson(a.api('/unregister'), { runnerToken: a.runnerToken })).status).toBe(204);
    // Admin removal of a runner.
    const b = await registered();
    const sb = (await connect({ runnerToken: b.runnerToken })).socket;
    let droppedB = false;
    sb.on('disconnect', () => (droppedB = true));
    expect((await send(`${server.url}/api/v1/runners/${b.id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    // Revoking the registration token a runner registered with.
    const gen = await postJson(`${server.url}/api/v1/runners/registration-tokens/generate`, {}, auth);
    const c = new TestRunner(server.url);
    await waitFor('generated token usable', async () => ((await c.register(gen.body.registrationToken)).status === 200 ? true : undefined));
    const sc = (await connect({ runnerToken: c.runnerToken })).socket;
    expect(
      (await send(`${server.url}/api/v1/runners/registration-tokens/${gen.body.id}`, { method: 'DELETE', headers: auth })).status,
    ).toBe(204);
    await settle();
    expect([sa.connected, sb.connected, sc.connected, droppedB]).toEqual([true, true, true, false]);
    // The open socket still hears available-jobs, so the removed runner calls and learns it is gone.
    const heard = new Promise<void>((resolve) => sb.once('available-jobs', () => resolve()));
    await createJobWithTasks(ns, [{}], inBucket, outBucket);
    await expect(Promise.race([heard.then(() => 'heard'), new Promise((res) => setTimeout(() => res('timeout'), 5000))])).resolves.toBe(
      'heard',
    );
    for (const r of [a, b, c]) expect((await r.request()).body.code).toBe('unknown_runner_token');
  });
});

describe('admin', () => {
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

  test('tokens: generate (plain token once) → register works; list; revoke removes its runners; auth required', async () => {
    expect((await send(`${server.url}/api/v1/runners/registration-tokens`, {})).status).toBe(401);
    expect((await send(`${server.url}/api/v1/runners/registration-tokens`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );
    const gen = await postJson(`${server.url}/api/v1/runners/registration-tokens/generate`, {}, auth);
    expect(gen.status).toBe(200);
    expect(gen.body.registrationToken).toMatch(/^ptrrt-/);
    const secret = await (await import('./harness.js')).core.readNamespacedSecret({ name: gen.body.id, namespace: ns });
    expect(JSON.stringify(secret.data)).not.toContain(gen.body.registrationToken);
    const r = new TestRunner(server.url);
    await waitFor('generated token usable', async () => ((await r.register(gen.body.registrationToken)).status === 200 ? true : undefined));
    const list = await send(`${server.url}/api/v1/runners/registration-tokens?count=100`, { headers: auth });
    expect(list.body.data.find((t: any) => t.id === gen.body.id)).toMatchObject({ registeredRunnersCount: 1 });
    const runners = await send(`${server.url}/api/v1/runners?count=100`, { headers: auth });
    expect(runners.body.data.map((x: any) => x.id)).toContain(r.id);
    expect(
      (await send(`${server.url}/api/v1/runners/registration-tokens/${gen.body.id}`, { method: 'DELETE', headers: auth })).status,
    ).toBe(204);
    expect(
      (await send(`${server.url}/api/v1/runners/registration-tokens/${gen.body.id}`, { method: 'DELETE', headers: auth })).status,
    ).toBe(404);
    const gone = await r.request();
    expect(gone.body.code).toBe('unknown_runner_token');
    expect((await r.register(gen.body.registrationToken)).status).toBe(404);
  });

  test('runners: remove by id; jobs: list with filters and cancel', async () => {
    const r = await registered();
    const job = await createJobWithTasks(ns, [{ priority: 9 }, { priority: 9, type: 'vod-hls-transcoding' }], inBucket, outBucket);
    const [t1, t2] = job.status!.tasks!;
    await visible(r, t1!.uuid);
    const listed = await send(`${server.url}/api/v1/runners/jobs?typeOneOf=vod-hls-transcoding&stateOneOf=1&count=100`, { headers: auth });
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((x: any) => x.uuid)).toContain(t2!.uuid);
    expect(listed.body.data.map((x: any) => x.uuid)).not.toContain(t1!.uuid);
    expect(listed.body.data.every((x: any) => x.type === 'vod-hls-transcoding' && x.state.id === 1)).toBe(true);
    expect((await send(`${server.url}/api/v1/runners/jobs/${t1!.uuid}/cancel`, { method: 'POST', headers: auth })).status).toBe(204);
    expect((await taskOf(ns, job.metadata.name!, t1!.uuid)).state).toBe(6);
    expect((await send(`${server.url}/api/v1/runners/jobs/${t1!.uuid}/cancel`, { method: 'POST', headers: auth })).status).toBe(400);
    expect((await r.accept(t1!.uuid)).status).toBe(409);
    expect((await send(`${server.url}/api/v1/runners/${r.id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    expect((await send(`${server.url}/api/v1/runners/${r.id}`, { method: 'DELETE', headers: auth })).status).toBe(404);
    expect((await r.request()).body.code).toBe('unknown_runner_token');
  });
});

test('health, readiness, metrics, OpenAPI; unknown routes are problem+json 404 (no redirects)', async () => {
  expect((await send(`${server.url}/healthz`, {})).status).toBe(200);
  expect((await send(`${server.url}/readyz`, {})).status).toBe(200);
  const metrics = await send(`${server.url}/metrics`, {});
  expect(metrics.body).toContain('ct_api_http_requests_total{method="POST",route="/api/v1/runners/jobs/request",status="200"}');
  expect(metrics.body).toMatch(/ct_api_tasks\{state="Pending"\} \d+/);
  expect(metrics.body).toContain('ct_api_connected_runner_sockets');
  const doc = await send(`${server.url}/api/v1/openapi.json`, {});
  expect(doc.body.openapi).toBe('3.0.3');
  expect(Object.keys(doc.body.paths)).toContain('/api/v1/videos/upload');
  const missing = await postForm(`${server.url}/api/v1/runners/jobs/`, new FormData());
  expect(missing.status).toBe(404);
  expect(missing.headers.get('content-type')).toContain('application/problem+json');
});
