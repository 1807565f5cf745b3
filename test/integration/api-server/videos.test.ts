// Video API against a real api-server, apiserver and moto: per-client API keys, upload streamed to
// the client's input bucket (413 over the limit), transcode of an existing key (400 outside the
// storage, 404 missing), the TranscodeJob they create, and the state read-back.
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { waitFor } from '../../env/process.js';
import { uniqueName } from '../../helpers/env.js';
import { API_VERSION, GROUP, VERSION, LABEL_CLIENT } from '../../../lib/kube/resources.js';
import { jobName } from '../../../lib/ct/naming.js';
import type { TranscodeJob } from '../../../lib/schema/transcode-job.js';
import {
  core,
  createBucket,
  createNamespace,
  form,
  getJob,
  mutateJobStatus,
  objects,
  postForm,
  postJson,
  s3,
  send,
  startApiServer,
  type ApiServerProcess,
} from './harness.js';

let ns: string;
let server: ApiServerProcess;
const clients: { name: string; key: string; input: string; output: string }[] = [];
const LIMIT = 1024 * 1024;

async function createClient(): Promise<{ name: string; key: string; input: string; output: string }> {
  const name = uniqueName('client');
  const key = `key-${uniqueName('k')}-secret`;
  const [input, output] = await Promise.all([createBucket('vin'), createBucket('vout')]);
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: `${name}-api` }, stringData: { apiKey: key } } });
  const created = (await objects.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: 'transcodeclients',
    body: {
      apiVersion: API_VERSION,
      kind: 'TranscodeClient',
      metadata: { name },
      spec: { principal: '*', apiKeySecretRef: { name: `${name}-api` } },
    },
  })) as any;
  await objects.replaceNamespacedCustomObjectStatus({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: 'transcodeclients',
    name,
    body: { ...created, status: { buckets: { input, output } } },
  });
  return { name, key, input, output };
}

beforeAll(async () => {
  ns = await createNamespace('api-videos');
  clients.push(await createClient(), await createClient());
  server = await startApiServer(ns, { CT_MAX_UPLOAD_BYTES: String(LIMIT), CT_VIDEO_THUMB_SIZE: '320x180' });
  // The client cache fills from the watch.
  await waitFor('client known', async () => {
    const r = await postJson(`${server.url}/api/v1/videos/transcode`, { path: 'nope/x.mp4', name: 'x' }, { 'x-api-key': clients[1]!.key });
    return r.status === 404 ? true : undefined;
  });
});

afterAll(async () => {
  await server?.stop();
});

const url = (p: string) => `${server.url}/api/v1/videos${p}`;

test('API key required: none or a wrong one → 401 problem', async () => {
  const none = await postJson(url('/transcode'), { path: 'a.mp4', name: 'a' });
  expect(none.status).toBe(401);
  expect(none.headers.get('content-type')).toContain('application/problem+json');
  expect((await postJson(url('/transcode'), { path: 'a.mp4', name: 'a' }, { authorization: 'Bearer wrong' })).status).toBe(401);
});

test('upload streams videoFile to the input bucket and creates the TranscodeJob (HLS ladder + THUMB)', async () => {
  const c = clients[0]!;
  const data = Buffer.alloc(300 * 1024, 3);
  const res = await postForm(
    url('/upload'),
    form({ name: 'My video' }, [{ field: 'videoFile', name: 'clip.MOV', data, type: 'video/quicktime' }]),
    {
      authorization: `Bearer ${c.key}`,
    },
  );
  expect(res.status).toBe(200);
  const { id, uuid, shortUUID } = res.body.video;
  expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
  expect(shortUUID).toMatch(/^[1-9A-HJ-NP-Za-km-z]{20,23}$/);
  expect(id).toBe(jobName(c.name, `video-${uuid}`));
  const head = await s3.send(new HeadObjectCommand({ Bucket: c.input, Key: `video-${uuid}/base_video.mov` }));
  expect(head.ContentLength).toBe(data.length);
  const job = await getJob(ns, id);
  expect(job.metadata.labels?.[LABEL_CLIENT]).toBe(c.name);
  expect(job.spec).toMatchObject({
    clientRef: { name: c.name },
    jobId: `video-${uuid}`,
    source: 'api',
    job: {
      input_type: 'VIDEO',
      input_bucket: c.input,
      input_file: `video-${uuid}/base_video.mov`,
      outputs: [
        { output_type: 'HLS', output_bucket: c.output, output_file: `video-${uuid}/master.m3u8` },
        { output_type: 'THUMB', output_bucket: c.output, output_file: `video-${uuid}/thumbnail.jpg`, size: '320x180' },
      ],
    },
  });
  // State read-back follows the CR; another client cannot see it.
  await mutateJobStatus(ns, id, (j: TranscodeJob) => {
    j.status = { ...j.status, phase: 'Running', progress: 40, outputs: [{ index: 0, type: 'HLS', status: 'Running' }] };
  });
  const state = await waitFor('state visible', async () => {
    const r = await send(url(`/${uuid}`), { headers: { 'x-api-key': c.key } });
    return r.body.video?.state?.progress === 40 ? r : undefined;
  });
  expect(state.body.video).toMatchObject({
    uuid,
    name: 'My video',
    state: { phase: 'Running', progress: 40 },
    outputs: [{ index: 0, status: 'Running' }],
  });
  expect((await send(url(`/${uuid}`), { headers: { 'x-api-key': clients[1]!.key } })).status).toBe(404);
});

test('upload over the size limit → 413 and nothing is kept; missing name/file → 400', async () => {
  const c = clients[0]!;
  const auth = { 'x-api-key': c.key };
  const count = async () => (await s3.send(new ListObjectsV2Command({ Bucket: c.input }))).KeyCount ?? 0;
  const before = await count();
  const huge = await postForm(
    url('/upload'),
    form({ name: 'big' }, [{ field: 'videoFile', name: 'big.mp4', data: Buffer.alloc(LIMIT * 3) }]),
    auth,
  );
  expect(huge.status).toBe(413);
  // Under the Content-Length pre-check but over the limit while streaming.
  const streamed = await postForm(
    url('/upload'),
    form({ name: 'big' }, [{ field: 'videoFile', name: 'big.mp4', data: Buffer.alloc(LIMIT + 200 * 1024) }]),
    auth,
  );
  expect(streamed.status).toBe(413);
  const noName = await postForm(url('/upload'), form({}, [{ field: 'videoFile', name: 'a.mp4', data: 'abc' }]), auth);
  expect(noName.status).toBe(400);
  expect(noName.body.detail).toContain('name');
  const noFile = await postForm(url('/upload'), form({ name: 'x' }), auth);
  expect(noFile.status).toBe(400);
  const notMultipart = await postJson(url('/upload'), { name: 'x' }, auth);
  expect(notMultipart.status).toBe(400);
  expect(await count()).toBe(before);
});

test('transcode: existing key → job; path escaping the storage → 400; missing → 404; bad body → 400', async () => {
  const c = clients[1]!;
  const auth = { authorization: `Bearer ${c.key}` };
  await s3.send(new PutObjectCommand({ Bucket: c.input, Key: 'library/movie.mp4', Body: 'x' }));
  const ok = await postJson(url('/transcode'), { path: 'library/movie.mp4', name: 'Movie' }, auth);
  expect(ok.status).toBe(200);
  const job = await getJob(ns, ok.body.video.id);
  expect(job.spec.job.input_file).toBe('library/movie.mp4');
  expect(job.spec.job.input_bucket).toBe(c.input);
  for (const path of [
    '../other/movie.mp4',
    '/library/movie.mp4',
    'library/../../x.mp4',
    'library//movie.mp4',
    'library\\movie.mp4',
    './movie.mp4',
  ]) {
    const r = await postJson(url('/transcode'), { path, name: 'x' }, auth);
    expect([path, r.status]).toEqual([path, 400]);
  }
  const missing = await postJson(url('/transcode'), { path: 'library/nothing.mp4', name: 'x' }, auth);
  expect(missing.status).toBe(404);
  expect(missing.body.detail).toBe('Video file does not exist.');
  expect((await postJson(url('/transcode'), { path: 'library/movie.mp4' }, auth)).status).toBe(400);
});
