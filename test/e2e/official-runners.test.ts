// Acceptance of docs/official-runners.md: a cluster whose only runner plays an official PeerTube 6.3
// runner (our runner with --peertube-strict: it asks for no job types and refuses any payload field
// PeerTube's models do not define). VIDEO + HLS complete under the peertube/auto policies; a THUMB
// (no PeerTube job type) is reported NoRunnerForTaskType at once (condition, Event, CT message), fails
// with NO_RUNNER_FOR_TASK_TYPE at the client's deadline and the job still ends; a ct-* runner that
// appears before the deadline takes it.
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { CtClient } from '../../sdk/index.js';
import type { AnyCtMessage } from '../../lib/ct/messages.js';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';
import { PEERTUBE_JOB_TYPES } from '../../lib/peertube/job-types.js';
import { generateAudio, generateClip, probe } from '../helpers/media.js';
import { startStack, readyClient, listJobs, putFile, download, type Stack } from '../helpers/stack.js';
import { waitFor } from '../env/process.js';

let stack: Stack;
let clip: string;

beforeAll(async () => {
  stack = await startStack('official', { CT_STALL_SECONDS: '60' });
  // The only runner: standard job types, PeerTube's payloads exactly, requests without jobTypes.
  stack.components.startRunner('official', { CT_RUNNER_PEERTUBE_STRICT: 'true', CT_RUNNER_CONCURRENCY: '2' });
  clip = await generateClip(join(stack.dir, 'clip.mp4'), { durationSec: 4, width: 640, height: 480, fps: 25 });
});

afterAll(async () => {
  await stack?.components.stop();
});

/** Reads a job's messages in the background. */
function listen(client: CtClient, jobId: string): { messages: AnyCtMessage[]; done: Promise<void> } {
  const messages: AnyCtMessage[] = [];
  const done = (async () => {
    for await (const m of client.messages({ jobId, untilDone: true, waitSeconds: 1, signal: AbortSignal.timeout(8 * 60_000) }))
      messages.push(m);
  })();
  return { messages, done };
}

async function jobOf(jobId: string): Promise<TranscodeJob | undefined> {
  return (await listJobs(stack)).find((j) => j.spec.jobId === jobId);
}

async function setUpClient(name: string, spec: Record<string, unknown>) {
  const { queues, buckets } = await readyClient(stack, name, spec);
  await putFile(stack, buckets.input!, 'in/clip.mp4', clip);
  return {
    client: new CtClient({ inputQueueUrl: queues.inputUrl!, outputQueueUrl: queues.outputUrl! }),
    inBucket: buckets.input!,
    out: buckets.output!,
  };
}

const activity = (m: AnyCtMessage) => (m.data as { activity?: Record<string, unknown> }).activity ?? {};

test('policy peertube: VIDEO + HLS end Succeeded on the standard runner alone; the VIDEO output records the standard encoding', async () => {
  const { client, inBucket, out } = await setUpClient('std', { encodingPolicy: 'peertube' });
  const jobId = await client.startJob({
    input_type: 'VIDEO',
    input_bucket: inBucket,
    input_file: 'in/clip.mp4',
    outputs: [
      { output_type: 'VIDEO', output_bucket: out, output_file: 'std/small.mp4', preset: '320x240-generic' },
      { output_type: 'HLS', output_bucket: out, output_file: 'std/hls/master.m3u8', resolutions: [240] },
    ],
  });
  const { messages, done } = listen(client, jobId);
  await done;
  const end = messages.at(-1)!;
  expect(end.type).toBe('JOB_COMPLETED');
  const outputs = (end.data as { outputs: { status: string; encoding?: string }[] }).outputs;
  expect(outputs.map((o) => o.status)).toEqual(['Succeeded', 'Succeeded']);
  expect(outputs[0]!.encoding).toBe('peertube');
  const job = await jobOf(jobId);
  expect(job?.status?.phase).toBe('Succeeded');
  expect(job?.status?.outputs?.[0]?.encoding).toBe('peertube');
  expect(job?.status?.tasks?.every((t) => (PEERTUBE_JOB_TYPES as readonly string[]).includes(t.type))).toBe(true);
  expect(job?.status?.tasks?.every((t) => t.runner?.name === 'official')).toBe(true);
  const small = await probe(await download(stack, out, 'std/small.mp4', join(stack.dir, 'out', 'small.mp4')));
  expect([small.width, small.height, small.videoCodec]).toEqual([320, 240, 'h264']);
});

test('policy auto + a THUMB: NoRunnerForTaskType within 10 s (condition, Event, CT message); at the deadline the THUMB fails and the job ends', async () => {
  const { client, inBucket, out } = await setUpClient('thumbs', { encodingPolicy: 'auto', noRunnerTimeoutSeconds: 25 });
  const jobId = await client.startJob({
    input_type: 'VIDEO',
    input_bucket: inBucket,
    input_file: 'in/clip.mp4',
    outputs: [
      { output_type: 'VIDEO', output_bucket: out, output_file: 'th/small.mp4', preset: '320x240-generic' },
      { output_type: 'HLS', output_bucket: out, output_file: 'th/hls/master.m3u8', resolutions: [240] },
      { output_type: 'THUMB', mode: 'snapshot', output_bucket: out, output_file: 'th/poster.jpg', size: '320x240', snapshot_sec: 1 },
    ],
  });
  const { messages, done } = listen(client, jobId);
  const job = await waitFor(
    'the Unschedulable condition',
    async () => {
      const j = await jobOf(jobId);
      const c = j?.status?.conditions?.find((x) => x.type === 'Unschedulable');
      return c?.status === 'True' ? j : undefined;
    },
    60_000,
    250,
  );
  const cond = job.status!.conditions!.find((x) => x.type === 'Unschedulable')!;
  expect(cond.reason).toBe('NoRunnerForTaskType');
  expect(cond.message).toContain('ct-thumbnails');
  const planned = Date.parse(job.status!.startedAt!);
  expect(Date.parse(cond.lastTransitionTime) - planned).toBeLessThanOrEqual(10_000);
  const thumb = job.status!.tasks!.find((t) => t.outputIndex === 2)!;
  expect(thumb.type).toBe('ct-thumbnails');
  // auto: no live runner serves ct-video-transcoding, so VIDEO went to the standard type.
  expect(job.status!.tasks!.find((t) => t.outputIndex === 0)!.type).toBe('vod-web-video-transcoding');

  const notice = await waitFor(
    'ACTIVITY_UNSCHEDULABLE',
    async () => messages.find((m) => m.type === 'ACTIVITY_UNSCHEDULABLE'),
    30_000,
    250,
  );
  expect(activity(notice)).toMatchObject({ activityId: thumb.uuid, reason: 'NO_RUNNER_FOR_TASK_TYPE', task_type: 'ct-thumbnails' });
  expect(notice.time * 1000 - planned).toBeLessThanOrEqual(10_000);
  const events = await stack.kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: stack.ns });
  expect(events.items.some((e) => e.involvedObject.name === job.metadata.name && e.reason === 'NoRunnerForTaskType')).toBe(true);

  await done;
  const failed = messages.filter((m) => m.type === 'ACTIVITY_FAILED');
  expect(failed.map((m) => [activity(m)['activityId'], activity(m)['reason']])).toEqual([[thumb.uuid, 'NO_RUNNER_FOR_TASK_TYPE']]);
  const end = messages.at(-1)!;
  expect(end.type).toBe('JOB_COMPLETED');
  expect((end.data as { failed: number[] }).failed).toEqual([2]);
  const final = await jobOf(jobId);
  expect(final?.status?.phase).toBe('Succeeded');
  expect(final?.status?.outputs?.map((o) => o.status)).toEqual(['Succeeded', 'Succeeded', 'Failed']);
  expect(final?.status?.outputs?.[2]?.reason).toBe('NO_RUNNER_FOR_TASK_TYPE');
  // The deadline counts from the report: not before 25 s.
  const failedAt = Date.parse(final!.status!.tasks!.find((t) => t.outputIndex === 2)!.finishedAt!);
  expect(failedAt - Date.parse(cond.lastTransitionTime)).toBeGreaterThanOrEqual(24_000);
});

test('audio-only input → VIDEO output: refused as in G1 (CONVERSION_TYPE_ERROR), no task for any runner', async () => {
  // CT G1 refuses AUDIO → VIDEO (docs/ct-protocol.md); vod-audio-merge-transcoding payloads in PeerTube's
  // exact field names are exercised by the strict runner in test/integration/runner/processors.test.ts.
  const { client, inBucket, out } = await setUpClient('merge', { encodingPolicy: 'auto' });
  await putFile(stack, inBucket, 'in/song.m4a', await generateAudio(join(stack.dir, 'song.m4a'), { durationSec: 3 }));
  const jobId = await client.startJob({
    input_type: 'AUDIO',
    input_bucket: inBucket,
    input_file: 'in/song.m4a',
    outputs: [{ output_type: 'VIDEO', output_bucket: out, output_file: 'merge/v.mp4', preset: '360p-16.9-generic' }],
  });
  const { messages, done } = listen(client, jobId);
  await done;
  const failed = messages.find((m) => m.type === 'ACTIVITY_FAILED');
  expect((failed?.data as { activity?: { reason?: string } } | undefined)?.activity?.reason).toBe('CONVERSION_TYPE_ERROR');
  const final = await jobOf(jobId);
  expect(final?.status?.tasks ?? []).toEqual([]);
});

test('a ct-* runner appearing before the deadline takes the THUMB: the job finishes with every output', async () => {
  const { client, inBucket, out } = await setUpClient('late', { encodingPolicy: 'auto', noRunnerTimeoutSeconds: 300 });
  const jobId = await client.startJob({
    input_type: 'VIDEO',
    input_bucket: inBucket,
    input_file: 'in/clip.mp4',
    outputs: [
      { output_type: 'VIDEO', output_bucket: out, output_file: 'late/small.mp4', preset: '320x240-generic' },
      { output_type: 'THUMB', mode: 'snapshot', output_bucket: out, output_file: 'late/poster.jpg', size: '320x240', snapshot_sec: 1 },
    ],
  });
  const { messages, done } = listen(client, jobId);
  await waitFor('ACTIVITY_UNSCHEDULABLE', async () => messages.find((m) => m.type === 'ACTIVITY_UNSCHEDULABLE'), 60_000, 250);
  const ours = stack.components.startRunner('ours', { CT_RUNNER_JOB_TYPES: 'ct-thumbnails' });
  await done;
  expect(messages.at(-1)!.type).toBe('JOB_COMPLETED');
  expect(messages.some((m) => m.type === 'ACTIVITY_FAILED')).toBe(false);
  const final = await jobOf(jobId);
  expect(final?.status?.outputs?.map((o) => o.status)).toEqual(['Succeeded', 'Succeeded']);
  expect(final?.status?.tasks?.find((t) => t.outputIndex === 1)?.runner?.name).toBe('ours');
  expect(final?.status?.conditions?.find((c) => c.type === 'Unschedulable')).toMatchObject({ status: 'False', reason: 'RunnersAvailable' });
  const poster = await probe(await download(stack, out, 'late/poster.jpg', join(stack.dir, 'out', 'poster.jpg')));
  expect([poster.width, poster.height]).toEqual([320, 240]);
  ours.child.kill('SIGTERM');
  await ours.exited;
});
