// Tenant isolation through the whole stack (operator with its SQS listener + api-server on moto):
// client B naming client A's buckets, an unlisted bucket, escaping keys, or a video-API path outside its
// root is refused with the reason before any S3 call — checked on moto's own request log — while A's
// jobs run and B's explicitly allowed extra bucket works.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CtClient, type AnyCtMessage } from '../../sdk/index.js';
import type { JobDescription } from '../../lib/schema/ct-job.js';
import { GROUP, VERSION } from '../../lib/kube/resources.js';
import { jobName } from '../../lib/ct/naming.js';
import { generateClip } from '../helpers/media.js';
import { envInfo } from '../helpers/env.js';
import { startStack, readyClient, listJobs, putFile, type Stack } from '../helpers/stack.js';
import { waitFor } from '../env/process.js';

let stack: Stack;
let clip: string;
let a: { ct: CtClient; input: string; output: string };
let b: { ct: CtClient; input: string; output: string };
let allowed: string;
let unlisted: string;
const API_KEY = 'b-video-api-key-0123456789';

/** Request lines of moto's log (werkzeug: `"GET /bucket/key HTTP/1.1" 200`) that touch `bucket/keyPrefix`. */
function motoRequests(bucket: string, keyPrefix = ''): string[] {
  const log = readFileSync(join(envInfo().dir, 'moto.log'), 'utf8');
  const needle = `/${bucket}/${keyPrefix}`;
  return log.split('\n').filter((l) => /"(GET|HEAD|PUT|POST|DELETE) /.test(l) && l.includes(needle));
}

async function collect(ct: CtClient, until: (m: AnyCtMessage) => boolean, timeoutMs = 60_000): Promise<AnyCtMessage[]> {
  const out: AnyCtMessage[] = [];
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const m of ct.messages({ waitSeconds: 1, signal })) {
    out.push(m);
    if (until(m)) return out;
  }
  throw new Error(`timed out; got ${out.map((m) => `${m.type}:${m.job_id}`).join(', ')}`);
}

function video(input_bucket: string, input_file: string, output_bucket: string, output_file = '/stolen/v.mp4'): JobDescription {
  return {
    input_type: 'VIDEO',
    input_bucket,
    input_file,
    outputs: [{ output_type: 'VIDEO', output_bucket, output_file, preset: '360p-16.9-generic', keep_ratio: false }],
  };
}

beforeAll(async () => {
  stack = await startStack('iso');
  clip = await generateClip(join(stack.dir, 'iso.mp4'), { durationSec: 2, width: 640, height: 360 });
  allowed = `${stack.ns}-shared`.slice(0, 63);
  unlisted = `${stack.ns}-third`.slice(0, 63);
  for (const bucket of [allowed, unlisted]) {
    await stack.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await putFile(stack, bucket, 'lib/clip.mp4', clip);
  }
  await stack.kc.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace: stack.ns,
    body: { metadata: { name: 'b-api' }, stringData: { apiKey: API_KEY } },
  });
  const ca = await readyClient(stack, 'tenant-a');
  const cb = await readyClient(stack, 'tenant-b', {
    buckets: { input: { prefix: 'b/' }, extraInputs: [{ name: allowed, prefix: 'lib/' }] },
    apiKeySecretRef: { name: 'b-api' },
  });
  a = {
    ct: new CtClient({ inputQueueUrl: ca.queues.inputUrl!, outputQueueUrl: ca.queues.outputUrl! }),
    input: ca.buckets.input!,
    output: ca.buckets.output!,
  };
  b = {
    ct: new CtClient({ inputQueueUrl: cb.queues.inputUrl!, outputQueueUrl: cb.queues.outputUrl! }),
    input: cb.buckets.input!,
    output: cb.buckets.output!,
  };
  await putFile(stack, a.input, 'private/secret.mp4', clip);
  await putFile(stack, a.input, 'uploads/clip.mp4', clip);
  await putFile(stack, b.input, 'b/clip.mp4', clip);
});

afterAll(async () => {
  await stack?.components.stop();
});

test('B naming A’s buckets, an unlisted bucket or escaping keys: COMMAND_REJECTED with the reason, nothing read or written', async () => {
  // The positive control: moto's log shows object requests at all (our own uploads above).
  expect(motoRequests(a.input, 'private/secret.mp4').some((l) => l.includes('"PUT '))).toBe(true);
  const before = {
    secret: motoRequests(a.input, 'private/secret.mp4').length,
    aOut: motoRequests(a.output).length,
    third: motoRequests(unlisted).length,
  };
  const cases: { id: string; job: JobDescription; reason: string; names: string }[] = [
    { id: 'b-reads-a-input', job: video(a.input, '/private/secret.mp4', b.output), reason: 'BUCKET_NOT_ALLOWED', names: a.input },
    { id: 'b-writes-a-output', job: video(b.input, '/b/clip.mp4', a.output), reason: 'BUCKET_NOT_ALLOWED', names: a.output },
    { id: 'b-reads-unlisted', job: video(unlisted, '/lib/clip.mp4', b.output), reason: 'BUCKET_NOT_ALLOWED', names: unlisted },
    { id: 'b-dotdot-input', job: video(b.input, '/b/../private/x.mp4', b.output), reason: 'KEY_NOT_ALLOWED', names: '..' },
    { id: 'b-dotdot-output', job: video(b.input, '/b/clip.mp4', b.output, '../up/v.mp4'), reason: 'KEY_NOT_ALLOWED', names: '..' },
    // G1's absolute form (leading "/") is the bucket root: outside B's prefix b/ here.
    { id: 'b-absolute-outside', job: video(b.input, '/uploads/clip.mp4', b.output), reason: 'KEY_NOT_ALLOWED', names: 'b/' },
    {
      id: 'b-watermark-of-a',
      job: {
        ...video(b.input, '/b/clip.mp4', b.output),
        outputs: [
          {
            output_type: 'VIDEO',
            output_bucket: b.output,
            output_file: '/w/v.mp4',
            preset: '360p-16.9-generic',
            watermark: { input_bucket: a.input, input_file: '/private/secret.mp4' },
          },
        ],
      },
      reason: 'BUCKET_NOT_ALLOWED',
      names: a.input,
    },
  ];
  for (const c of cases) await b.ct.startJob(c.job, c.id);
  const ids = new Set(cases.map((c) => c.id));
  const seen = new Map<string, AnyCtMessage>();
  await collect(b.ct, (m) => {
    if (m.type === 'COMMAND_REJECTED' && m.job_id && ids.has(m.job_id)) seen.set(m.job_id, m);
    return seen.size === ids.size;
  });
  for (const c of cases) {
    const r = seen.get(c.id) as Extract<AnyCtMessage, { type: 'COMMAND_REJECTED' }>;
    expect([c.id, r.data.reason]).toEqual([c.id, c.reason]);
    expect(r.data.details).toContain(c.names);
    if (c.reason === 'BUCKET_NOT_ALLOWED') expect(r.data.details).toContain('tenant-b');
    expect(typeof r.time).toBe('number');
  }
  // No job exists for any of them, and moto saw no request for A's secret, A's output bucket or the unlisted bucket.
  const jobs = await listJobs(stack);
  expect(jobs.filter((j) => ids.has(j.spec.jobId))).toEqual([]);
  expect(motoRequests(a.input, 'private/secret.mp4')).toHaveLength(before.secret);
  expect(motoRequests(a.output)).toHaveLength(before.aOut);
  expect(motoRequests(unlisted)).toHaveLength(before.third);
  const aOut = await stack.s3.send(new ListObjectsV2Command({ Bucket: a.output }));
  expect((aOut.Contents ?? []).filter((o) => o.Key?.startsWith('stolen/'))).toEqual([]);
  // A Kubernetes Event on client B names the refusal.
  const events = await waitFor(
    'BUCKET_NOT_ALLOWED event on tenant-b',
    async () => {
      const list = await stack.kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: stack.ns });
      const mine = list.items.filter((e) => e.involvedObject.name === 'tenant-b' && e.reason === 'BUCKET_NOT_ALLOWED');
      return mine.length ? mine : undefined;
    },
    30_000,
  );
  expect(events[0]!.message).toContain(a.input);
});

test('a TranscodeJob made directly (kubectl) for B naming A’s input fails BUCKET_NOT_ALLOWED without touching it', async () => {
  const before = motoRequests(a.input, 'private/secret.mp4').length;
  const name = jobName('tenant-b', 'kubectl-steal');
  await stack.objects.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: stack.ns,
    plural: 'transcodejobs',
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'TranscodeJob',
      metadata: { name },
      spec: {
        clientRef: { name: 'tenant-b' },
        jobId: 'kubectl-steal',
        source: 'kubectl',
        job: video(a.input, '/private/secret.mp4', b.output),
      },
    },
  });
  const msgs = await collect(b.ct, (m) => m.job_id === 'kubectl-steal' && m.type === 'JOB_FAILED');
  const mine = msgs.filter((m) => m.job_id === 'kubectl-steal');
  expect(mine.map((m) => m.type)).toEqual([
    'JOB_STARTED',
    'ACTIVITY_STARTED',
    'ACTIVITY_FAILED',
    'ACTIVITY_STARTED',
    'ACTIVITY_FAILED',
    'JOB_FAILED',
  ]);
  expect(mine.at(-1)!.data).toMatchObject({ reason: 'BUCKET_NOT_ALLOWED' });
  expect((mine.at(-1)!.data as { details: string }).details).toContain(a.input);
  expect(motoRequests(a.input, 'private/secret.mp4')).toHaveLength(before);
  const list = await stack.kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: stack.ns });
  expect(list.items.some((e) => e.involvedObject.name === name && e.reason === 'BUCKET_NOT_ALLOWED')).toBe(true);
});

test('A’s job runs; B’s own prefix and its explicitly allowed extra bucket work', async () => {
  await a.ct.startJob(video(a.input, '/uploads/clip.mp4', a.output, '/a/v.mp4'), 'a-own');
  await b.ct.startJob(video(allowed, '/lib/clip.mp4', b.output, '/b/from-extra.mp4'), 'b-extra');
  await b.ct.startJob(video(b.input, '/b/clip.mp4', b.output, '/b/own.mp4'), 'b-own');
  const validated = (m: AnyCtMessage) =>
    m.type === 'ACTIVITY_COMPLETED' &&
    (m.data as { activity: { activityType: { name: string } } }).activity.activityType.name === 'ValidateInputAndAsset';
  await collect(a.ct, (m) => m.job_id === 'a-own' && validated(m));
  const done = new Set<string>();
  await collect(b.ct, (m) => {
    if (m.type === 'COMMAND_REJECTED') throw new Error(`unexpected rejection: ${JSON.stringify(m.data)}`);
    if (m.job_id && validated(m)) done.add(m.job_id);
    return done.has('b-extra') && done.has('b-own');
  });
  expect(motoRequests(allowed, 'lib/clip.mp4').some((l) => /"(GET|HEAD) /.test(l))).toBe(true);
});

test('video API: paths are relative to B’s input root; escapes refused before any S3 call', async () => {
  const api = stack.components.apiUrl;
  const post = (path: string) =>
    fetch(`${api}/api/v1/videos/transcode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body: JSON.stringify({ path, name: 'v' }),
    });
  const ok = await waitFor(
    'video API knows tenant-b',
    async () => {
      const r = await post('clip.mp4');
      return r.status === 200 ? ((await r.json()) as { video: { id: string } }) : undefined;
    },
    30_000,
  );
  const job = (await listJobs(stack)).find((j) => j.metadata.name === ok.video.id)!;
  expect(job.spec.job.input_file).toBe('b/clip.mp4');
  expect(job.spec.job.outputs.every((o) => o.output_bucket === b.output)).toBe(true);
  const before = motoRequests(a.input).length;
  for (const path of ['../uploads/clip.mp4', '/uploads/clip.mp4', `../../${a.input}/private/secret.mp4`, 's3://x/y.mp4']) {
    const r = await post(path);
    expect([path, r.status]).toEqual([path, 400]);
  }
  expect(motoRequests(a.input)).toHaveLength(before);
});

test('extra buckets are validated when the TranscodeClient is applied', async () => {
  const apply = (extraInputs: unknown) =>
    stack.objects
      .createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: stack.ns,
        plural: 'transcodeclients',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'TranscodeClient',
          metadata: { name: `bad-${Math.random().toString(36).slice(2, 8)}` },
          spec: { principal: '123456789012', buckets: { extraInputs } },
        },
      })
      .then(
        () => 'accepted',
        (err: { code?: number; body?: string }) => `${err.code}: ${String(err.body)}`,
      );
  for (const bad of [
    [{ name: 'Bad Bucket!' }],
    [{ name: 'ok-bucket', prefix: '../a/' }],
    [{ name: 'ok-bucket', prefix: 'no-slash' }],
    [{}],
  ]) {
    const r = await apply(bad);
    expect([JSON.stringify(bad), r.startsWith('422')]).toEqual([JSON.stringify(bad), true]);
    expect(r).toContain('extraInputs');
  }
});
