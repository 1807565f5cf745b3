// Issue 13, end to end (SQS → operator → api-server → our runner with real ffmpeg → S3): interval
// thumbnails with far more than 50 frames are delivered, 20 such outputs with long keys keep the
// job's status bounded (key counts, prefixes, manifests) and end with one JOB_COMPLETED; a job whose
// status the cluster refuses as too large ends with JOB_FAILED and a reason, never a retry loop; a
// job that could not be held is refused at admission.
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CtClient, type AnyCtMessage } from '../../sdk/index.js';
import { generateClip } from '../helpers/media.js';
import { startStack, readyClient, listJobs, putFile, listKeys, type Stack } from '../helpers/stack.js';
import { largestPadding, padding } from '../helpers/etcd-limit.js';
import { API_VERSION, GROUP, LABEL_CLIENT, VERSION } from '../../lib/kube/resources.js';
import { INLINE_KEYS, STATUS_BUDGET_BYTES } from '../../lib/jobs/status-limits.js';
import type { OutputSpec } from '../../lib/schema/ct-job.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('bounded', { CT_STALL_SECONDS: '30' });
});

afterAll(async () => {
  await stack?.components.stop();
});

async function collect(client: CtClient, jobId: string, timeoutMs: number): Promise<AnyCtMessage[]> {
  const out: AnyCtMessage[] = [];
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const m of client.messages({ jobId, untilDone: true, waitSeconds: 2, signal })) out.push(m);
  return out;
}

const END = new Set(['JOB_COMPLETED', 'JOB_FAILED', 'JOB_CANCELED']);

test('20 interval-THUMB outputs of ~70 frames each with long keys: one JOB_COMPLETED, bounded status, manifests in S3', async () => {
  const { queues, buckets } = await readyClient(stack, 'thumbs');
  const runner = stack.components.startRunner('thumb-runner', { CT_RUNNER_CONCURRENCY: '2' });
  const clip = await generateClip(join(stack.dir, 'clip70.mp4'), { durationSec: 70, width: 160, height: 120, fps: 5, audio: false });
  await putFile(stack, buckets.input!, 'in/clip70.mp4', clip);
  const out = buckets.output!;
  const dir = (i: number) => `long/${'d'.repeat(180)}-${i}`;
  const outputs: OutputSpec[] = Array.from({ length: 20 }, (_, i) => ({
    output_type: 'THUMB',
    mode: 'intervals',
    intervals: 1,
    size: '64x48',
    output_bucket: out,
    output_file: `${dir(i)}/${'frame'.repeat(8)}.jpg`,
  }));
  const client = new CtClient({ inputQueueUrl: queues.inputUrl!, outputQueueUrl: queues.outputUrl! });
  const jobId = await client.startJob({ input_type: 'VIDEO', input_bucket: buckets.input!, input_file: 'in/clip70.mp4', outputs });
  const messages = await collect(client, jobId, 10 * 60_000);
  const ends = messages.filter((m) => END.has(m.type));
  expect(ends.map((m) => m.type)).toEqual(['JOB_COMPLETED']);
  const end = ends[0]!;
  if (end.type !== 'JOB_COMPLETED') throw new Error('unreachable');
  expect(end.data.outputs.map((o) => o.status)).toEqual(outputs.map(() => 'Succeeded'));
  // ffmpeg makes one frame per second of the 70 s input (70 or 71 with the last one): far over 50.
  const frames = end.data.outputs[0]!.key_count!;
  expect(frames).toBeGreaterThanOrEqual(70);
  for (const o of end.data.outputs) {
    expect(o.key_count).toBe(frames);
    expect(o.keys).toHaveLength(INLINE_KEYS);
    expect(o.key_prefix).toBe(`${dir(o.index)}/${'frame'.repeat(8)}0000`);
  }
  // Every frame is in S3 and listed by its output's manifest.
  for (const o of end.data.outputs) {
    const keys = (await listKeys(stack, out, `${dir(o.index)}/`)).filter((k) => k.endsWith('.jpg'));
    expect(keys).toHaveLength(frames);
    const manifest = JSON.parse(
      await (await stack.s3.send(new GetObjectCommand({ Bucket: out, Key: o.manifest! }))).Body!.transformToString(),
    ) as string[];
    expect([...manifest].sort()).toEqual(keys);
  }
  const [job] = (await listJobs(stack)).filter((j) => j.spec.jobId === jobId);
  expect(job?.status?.phase).toBe('Succeeded');
  expect(job?.status?.tasks?.every((t) => t.failures === 0 && t.result?.keyCount === frames && t.result.keys.length === INLINE_KEYS)).toBe(
    true,
  );
  expect(Buffer.byteLength(JSON.stringify(job))).toBeLessThan(STATUS_BUDGET_BYTES / 4);
  await runner.stop();
});

test('a job the status budget cannot hold is refused at admission with JOB_TOO_LARGE', async () => {
  const { queues, buckets } = await readyClient(stack, 'huge');
  const client = new CtClient({ inputQueueUrl: queues.inputUrl!, outputQueueUrl: queues.outputUrl! });
  const outputs: OutputSpec[] = Array.from({ length: 100 }, (_, i) => ({
    output_type: 'HLS',
    output_bucket: buckets.output!,
    output_file: `${'k'.repeat(1000)}/${i}.m3u8`,
  }));
  const jobId = await client.startJob({ input_type: 'VIDEO', input_bucket: buckets.input!, input_file: 'in/x.mp4', outputs });
  const signal = AbortSignal.timeout(60_000);
  let rejected: AnyCtMessage | undefined;
  for await (const m of client.messages({ waitSeconds: 2, signal })) {
    if (m.type === 'COMMAND_REJECTED' && m.job_id === jobId) {
      rejected = m;
      break;
    }
  }
  expect(rejected?.type).toBe('COMMAND_REJECTED');
  if (rejected?.type !== 'COMMAND_REJECTED') return;
  expect(rejected.data.reason).toBe('JOB_TOO_LARGE');
  expect(rejected.data.details).toMatch(/over the limit of \d+ KiB/);
  expect((await listJobs(stack)).filter((j) => j.spec.jobId === jobId)).toHaveLength(0);
});

test('a job whose status write the cluster refuses as too large ends with JOB_FAILED JOB_TOO_LARGE', async () => {
  const { queues, buckets } = await readyClient(stack, 'bloated');
  const clip = await generateClip(join(stack.dir, 'clip3.mp4'), { durationSec: 3, width: 320, height: 240 });
  await putFile(stack, buckets.input!, 'in/clip3.mp4', clip);
  const client = new CtClient({ inputQueueUrl: queues.inputUrl!, outputQueueUrl: queues.outputUrl! });
  const outputs = Array.from({ length: 10 }, (_, i) => ({
    output_type: 'VIDEO',
    output_bucket: buckets.output!,
    output_file: `bloat/${'v'.repeat(300)}-${i}.mp4`,
    preset: '320x240-generic',
  }));
  const body = (pad: string[], name: string, jobId: string) => ({
    apiVersion: API_VERSION,
    kind: 'TranscodeJob',
    metadata: { name, labels: { [LABEL_CLIENT]: 'bloated' } },
    spec: {
      clientRef: { name: 'bloated' },
      jobId,
      source: 'kubectl',
      job: { input_type: 'VIDEO', input_bucket: buckets.input!, input_file: 'in/clip3.mp4', outputs },
      cancelTasks: pad,
    },
  });
  const create = (pad: string[], name: string, jobId = name) =>
    stack.objects.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: stack.ns,
      plural: 'transcodejobs',
      body: body(pad, name, jobId),
    });
  // Probe jobs of another (absent) client so the operator leaves them queued.
  const limit = await largestPadding(stack.objects, stack.ns, (pad, name) =>
    stack.objects.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: stack.ns,
      plural: 'transcodejobs',
      body: { ...body(pad, name, name), spec: { ...body(pad, name, name).spec, clientRef: { name: 'nobody' } } },
    }),
  );
  // Planning 10 tasks with long keys needs far more than the ~6 KB left; the failure itself fits.
  const jobId = 'bloated-job-1';
  await create(padding(limit - 6 * 1024), 'bloated-job-1', jobId);
  const messages = await collect(client, jobId, 3 * 60_000);
  const ends = messages.filter((m) => END.has(m.type));
  expect(ends.map((m) => m.type)).toEqual(['JOB_FAILED']);
  const end = ends[0]!;
  if (end.type !== 'JOB_FAILED') throw new Error('unreachable');
  expect(end.data.reason).toBe('JOB_TOO_LARGE');
  expect(end.data.details).toMatch(/beyond what the cluster can store/);
  const [job] = (await listJobs(stack)).filter((j) => j.spec.jobId === jobId);
  expect(job?.status?.phase).toBe('Failed');
  expect(job?.status?.outputs?.every((o) => o.status === 'Failed' && o.reason === 'JOB_TOO_LARGE')).toBe(true);
});
