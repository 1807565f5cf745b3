// G1 fidelity through the whole stack with our runner and real ffmpeg: every message of a mixed job in
// G1 order per activity id, input_asset_info in the G1 shape and types (reference §3.1.5), the
// reference's own START_JOB example (§2.2, buckets clienta-in/clienta-out) replayed as it is producing
// the documented replies (§2.3, §2.6), G2-style HLS, AUDIO → VIDEO refused, and the envelope of replies.
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { CtClient, type AnyCtMessage } from '../../sdk/index.js';
import { generateClip, generateAudio } from '../helpers/media.js';
import { startStack, readyClient, putFile, listKeys, type Stack } from '../helpers/stack.js';

let stack: Stack;
let runner: ReturnType<Stack['components']['startRunner']>;

beforeAll(async () => {
  stack = await startStack('g1');
  runner = stack.components.startRunner('g1-runner', { CT_RUNNER_CONCURRENCY: '2' });
});

afterAll(async () => {
  runner?.child.kill('SIGTERM');
  await stack?.components.stop();
});

async function allOf(client: CtClient, jobId: string, timeoutMs = 8 * 60_000): Promise<AnyCtMessage[]> {
  const out: AnyCtMessage[] = [];
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const m of client.messages({ jobId, untilDone: true, waitSeconds: 2, signal })) out.push(m);
  return out;
}

type Activity = { activityId: string; activityType: { name: string; version: string }; input?: any; reason?: string };
const activityOf = (m: AnyCtMessage): Activity | undefined => (m.data as { activity?: Activity }).activity;

/** G1 order: per activity id STARTED first, then progress kinds, then exactly one COMPLETED/FAILED; one job end, last. */
function checkG1Order(msgs: AnyCtMessage[], jobId: string): Map<string, string[]> {
  expect(msgs[0]!.type).toBe('JOB_STARTED');
  const ends = msgs.filter((m) => m.type === 'JOB_COMPLETED' || m.type === 'JOB_FAILED');
  expect(ends).toHaveLength(1);
  expect(msgs.at(-1)).toBe(ends[0]);
  const byId = new Map<string, string[]>();
  for (const m of msgs) {
    // The G1 envelope on every message.
    expect(typeof m.time).toBe('number');
    expect(m.job_id).toBe(jobId);
    expect(typeof (m.data as { workflow: { workflowId: string } }).workflow.workflowId).toBe('string');
    const a = activityOf(m);
    if (a) byId.set(a.activityId, [...(byId.get(a.activityId) ?? []), m.type]);
  }
  for (const [id, types] of byId) {
    expect([id, types[0]]).toEqual([id, 'ACTIVITY_STARTED']);
    const last = types.at(-1)!;
    expect([id, ['ACTIVITY_COMPLETED', 'ACTIVITY_FAILED'].includes(last)]).toEqual([id, true]);
    expect([id, types.filter((t) => t === 'ACTIVITY_COMPLETED' || t === 'ACTIVITY_FAILED').length]).toEqual([id, 1]);
    for (const t of types.slice(1, -1)) expect(['ACTIVITY_PREPARING', 'ACTIVITY_PROGRESS', 'ACTIVITY_FINISHING']).toContain(t);
  }
  return byId;
}

const G1_INFO_TYPES: Record<string, 'number' | 'string'> = {
  duration: 'number',
  vcodec: 'string',
  color: 'string',
  size: 'string',
  vbitrate: 'string',
  fps: 'string',
  ratio: 'string',
  acodec: 'string',
  freq: 'string',
  mode: 'string',
  abitrate: 'string',
};

test('a mixed job: good outputs, ratio- and enlargement-refused outputs, G2-style HLS — G1 order and input_asset_info', async () => {
  const { queues, buckets } = await readyClient(stack, 'mixed');
  const clip = await generateClip(join(stack.dir, 'mixed.mp4'), { durationSec: 4, width: 640, height: 360, fps: 25 });
  await putFile(stack, buckets.input!, 'in/mixed.mp4', clip);
  const out = buckets.output!;
  const client = new CtClient({ inputQueueUrl: queues.inputUrl!, outputQueueUrl: queues.outputUrl! });
  const outputs = [
    { output_type: 'VIDEO' as const, output_bucket: out, output_file: '/m/sd.mp4', preset: '360p-16.9-generic' },
    {
      output_type: 'THUMB' as const,
      mode: 'snapshot' as const,
      output_bucket: out,
      output_file: '/m/p.jpg',
      size: '160x90',
      snapshot_sec: 1,
    },
    { output_type: 'VIDEO' as const, output_bucket: out, output_file: '/m/ratio.mp4', preset: '480p-4.3-generic' },
    { output_type: 'VIDEO' as const, output_bucket: out, output_file: '/m/big.mp4', preset: '1080p-generic' },
    { output_type: 'VIDEO' as const, output_bucket: out, output_file: '/m/hls/video.m3u8', preset: 'hls400k-generic' },
  ];
  const jobId = await client.startJob({ input_type: 'VIDEO', input_bucket: buckets.input!, input_file: '/in/mixed.mp4', outputs });
  const msgs = await allOf(client, jobId);
  const byId = checkG1Order(msgs, jobId);
  expect(msgs.at(-1)!.type).toBe('JOB_COMPLETED');

  // One activity per output (+ validation); the failures are placed on their outputs through ACTIVITY_STARTED.
  const started = msgs.filter((m) => m.type === 'ACTIVITY_STARTED').map(activityOf) as Activity[];
  const transcode = started.filter((a) => a.activityType.name === 'TranscodeAsset');
  expect(started.filter((a) => a.activityType.name === 'ValidateInputAndAsset')).toHaveLength(1);
  expect(transcode.map((a) => a.input.output.output_file).sort()).toEqual(outputs.map((o) => o.output_file).sort());
  const outcome = (file: string) => {
    const a = transcode.find((x) => x.input.output.output_file === file)!;
    const types = byId.get(a.activityId)!;
    const failed = msgs.find((m) => m.type === 'ACTIVITY_FAILED' && activityOf(m)!.activityId === a.activityId);
    return [types.at(-1), failed ? activityOf(failed)!.reason : undefined];
  };
  expect(outcome('/m/sd.mp4')).toEqual(['ACTIVITY_COMPLETED', undefined]);
  expect(outcome('/m/p.jpg')).toEqual(['ACTIVITY_COMPLETED', undefined]);
  expect(outcome('/m/ratio.mp4')).toEqual(['ACTIVITY_FAILED', 'RATIO_ERROR']);
  expect(outcome('/m/big.mp4')).toEqual(['ACTIVITY_FAILED', 'ENLARGEMENT_ERROR']);
  expect(outcome('/m/hls/video.m3u8')).toEqual(['ACTIVITY_COMPLETED', undefined]);

  // input_asset_info: flat G1 keys with G1 types; size "WxH", ratio with one decimal.
  for (const a of transcode) {
    expect(a.input.input_asset_type).toBe('VIDEO');
    const info = a.input.input_asset_info as Record<string, unknown>;
    for (const [k, v] of Object.entries(info)) expect([k, typeof v]).toEqual([k, G1_INFO_TYPES[k]]);
    expect(info).toMatchObject({ size: '640x360', ratio: '1.8', vcodec: 'h264', acodec: 'aac', fps: '25 fps', mode: 'mono' }); // the generated clip's audio is mono
    expect(info['duration']).toBeCloseTo(4, 0);
    expect(info['freq']).toMatch(/^\d+ Hz$/);
  }
  // The G2-style HLS request was made as HLS beside the requested playlist.
  const hls = await listKeys(stack, out, 'm/hls/');
  expect(hls).toContain('m/hls/video.m3u8');
  expect(hls.some((k) => k.endsWith('.mp4'))).toBe(true);

  // Replies carry the envelope, data.workflow (the job's own), and the validation activity.
  const w0 = (msgs[0]!.data as { workflow: { workflowId: string; runId: string } }).workflow;
  const workflow = { workflowId: w0.workflowId, runId: w0.runId };
  await client.getActivityList(jobId);
  const list = (await nextOf(client, 'ACTIVITY_LIST')) as Extract<AnyCtMessage, { type: 'ACTIVITY_LIST' }>;
  expect(list.job_id).toBe(jobId);
  expect(list.data.workflow).toEqual(workflow);
  const validateId = started.find((a) => a.activityType.name === 'ValidateInputAndAsset')!.activityId;
  // Every activity id the messages announced can be asked about.
  const listed = list.data.activities.map((a) => a.activityId);
  for (const a of started) expect(listed).toContain(a.activityId);
  expect(list.data.activities.find((a) => a.activityId === validateId)).toMatchObject({
    state: 'COMPLETED',
    activityType: { name: 'ValidateInputAndAsset' },
  });
  await client.getActivityStatus(jobId, validateId);
  expect(await nextOf(client, 'ACTIVITY_STATUS')).toMatchObject({
    job_id: jobId,
    data: { workflow, activity: { activityId: validateId } },
  });
  await client.listJobs();
  expect(await nextOf(client, 'JOB_LIST')).toHaveProperty('job_id', null);
  await client.getJobStatus('no-such-job');
  expect(await nextOf(client, 'COMMAND_REJECTED')).toMatchObject({ job_id: 'no-such-job', data: { reason: 'UNKNOWN_JOB' } });
  await client.sendRaw('not json');
  const bad = await nextOf(client, 'COMMAND_REJECTED');
  expect(bad).toHaveProperty('job_id', null);
  expect(typeof bad.time).toBe('number');
});

async function nextOf(client: CtClient, type: AnyCtMessage['type']): Promise<AnyCtMessage> {
  const signal = AbortSignal.timeout(60_000);
  for await (const m of client.messages({ waitSeconds: 1, signal })) if (m.type === type) return m;
  throw new Error(`no ${type}`);
}

test('AUDIO input → VIDEO output: CONVERSION_TYPE_ERROR (started, then failed); the AUDIO output is made', async () => {
  const { queues, buckets } = await readyClient(stack, 'audio-in');
  const song = await generateAudio(join(stack.dir, 'song.m4a'), { durationSec: 3 });
  await putFile(stack, buckets.input!, 'in/song.m4a', song);
  const client = new CtClient({ inputQueueUrl: queues.inputUrl!, outputQueueUrl: queues.outputUrl! });
  const jobId = await client.startJob({
    input_type: 'AUDIO',
    input_bucket: buckets.input!,
    input_file: 'in/song.m4a',
    outputs: [
      { output_type: 'VIDEO', output_bucket: buckets.output!, output_file: 'a/v.mp4', preset: '360p-16.9-generic' },
      { output_type: 'AUDIO', output_bucket: buckets.output!, output_file: 'a/a.mp3' },
    ],
  });
  const msgs = await allOf(client, jobId, 5 * 60_000);
  checkG1Order(msgs, jobId);
  const failed = msgs.filter((m) => m.type === 'ACTIVITY_FAILED').map(activityOf);
  expect(failed.map((a) => a!.reason)).toEqual(['CONVERSION_TYPE_ERROR']);
  await expect(stack.s3.send(new HeadObjectCommand({ Bucket: buckets.output!, Key: 'a/v.mp4' }))).rejects.toThrow();
  await stack.s3.send(new HeadObjectCommand({ Bucket: buckets.output!, Key: 'a/a.mp3' }));
});

test('the reference’s G1 START_JOB example (§2.2) replayed as it is: the documented replies (§2.3, §2.6)', async () => {
  // The example names buckets clienta-in / clienta-out: a client adopting exactly those.
  for (const bucket of ['clienta-in', 'clienta-out']) {
    await stack.s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((err: { name?: string }) => {
      if (err.name !== 'BucketAlreadyOwnedByYou') throw err;
    });
  }
  const { queues } = await readyClient(stack, 'clienta', {
    buckets: { input: { name: 'clienta-in', managed: false }, output: { name: 'clienta-out', managed: false } },
  });
  const clip = await generateClip(join(stack.dir, 'game42.mp4'), { durationSec: 12, width: 1280, height: 720, fps: 25 });
  await putFile(stack, 'clienta-in', 'uploads/game42.mp4', clip);
  const client = new CtClient({ inputQueueUrl: queues.inputUrl!, outputQueueUrl: queues.outputUrl! });
  // Verbatim from the reference (§2.2), only `time` is the send time.
  const data = {
    input_type: 'VIDEO',
    input_bucket: 'clienta-in',
    input_file: '/uploads/game42.mp4',
    outputs: [
      {
        output_type: 'VIDEO',
        output_bucket: 'clienta-out',
        output_file: '/game42/sd.mp4',
        preset: '480p-16.9-generic',
        s3_rrs: true,
        s3_encrypt: true,
        keep_ratio: false,
      },
      {
        output_type: 'THUMB',
        mode: 'snapshot',
        output_bucket: 'clienta-out',
        output_file: '/game42/poster.jpg',
        size: '320x180',
        snapshot_sec: 10,
      },
    ],
  };
  const jobId = '9b2f6c1d0e8a4f3b7c5d2e1f0a9b8c7d';
  await client.sendRaw(JSON.stringify({ time: 1400101234.5678, type: 'START_JOB', job_id: jobId, data }));
  const msgs = await allOf(client, jobId);
  checkG1Order(msgs, jobId);
  const types = msgs.map((m) => m.type);
  expect(types.at(-1)).toBe('JOB_COMPLETED');
  expect(types).not.toContain('ACTIVITY_FAILED');
  // JOB_STARTED: data.workflow = {workflowId, runId, input: the job data}.
  expect(msgs[0]!.data).toMatchObject({ workflow: { workflowId: expect.any(String), runId: expect.any(String), input: data } });
  // ACTIVITY_STARTED of the validation: input = the job data; of each TranscodeAsset: {input_asset_type, input_asset_info, output}.
  const started = msgs.filter((m) => m.type === 'ACTIVITY_STARTED').map(activityOf) as Activity[];
  expect(started[0]).toMatchObject({ activityType: { name: 'ValidateInputAndAsset', version: 'v1' }, input: data });
  const transcode = started.slice(1);
  expect(transcode.map((a) => a.activityType)).toEqual([
    { name: 'TranscodeAsset', version: 'v1' },
    { name: 'TranscodeAsset', version: 'v1' },
  ]);
  expect(transcode.map((a) => a.input.output).sort((x, y) => x.output_file.localeCompare(y.output_file))).toEqual(
    [...data.outputs].sort((x, y) => x.output_file.localeCompare(y.output_file)),
  );
  for (const a of transcode) {
    expect(a.input).toMatchObject({
      input_asset_type: 'VIDEO',
      input_asset_info: { vcodec: 'h264', size: '1280x720', ratio: '1.8', acodec: 'aac', duration: expect.any(Number) },
    });
  }
  // ACTIVITY_PROGRESS (when sent): duration / done / progress merged into data.activity.
  for (const m of msgs.filter((x) => x.type === 'ACTIVITY_PROGRESS')) {
    expect(activityOf(m)).toMatchObject({ duration: expect.any(Number), progress: expect.any(Number) });
  }
  // The results where G1 puts them, with the storage flags.
  const head = await stack.s3.send(new HeadObjectCommand({ Bucket: 'clienta-out', Key: 'game42/sd.mp4' }));
  expect(head.StorageClass).toBe('REDUCED_REDUNDANCY');
  expect(head.ServerSideEncryption).toBe('AES256');
  await stack.s3.send(new HeadObjectCommand({ Bucket: 'clienta-out', Key: 'game42/poster.jpg' }));
});
