// End to end through the whole system: a CT client on SQS → operator → TranscodeJob → api-server →
// our runner (real ffmpeg) → S3, with the outputs checked by ffprobe and the HLS ladder read back
// over HTTP by ffmpeg.
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { CtClient } from '../../sdk/index.js';
import type { AnyCtMessage } from '../../lib/ct/messages.js';
import { generateClip, probe } from '../helpers/media.js';
import { envInfo } from '../helpers/env.js';
import { startStack, readyClient, listJobs, putFile, download, listKeys, type Stack } from '../helpers/stack.js';
import { waitFor } from '../env/process.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('e2e', { CT_STALL_SECONDS: '8' });
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

test('a START_JOB with VIDEO (2 presets), THUMB (snapshot + intervals), AUDIO and HLS (3 renditions) completes', async () => {
  const { queues, buckets } = await readyClient(stack, 'studio');
  const runner = stack.components.startRunner('e2e-runner', { CT_RUNNER_CONCURRENCY: '2' });
  const clip = await generateClip(join(stack.dir, 'clip20.mp4'), { durationSec: 20, width: 640, height: 480, fps: 25 });
  await putFile(stack, buckets.input!, 'in/clip20.mp4', clip);
  const out = buckets.output!;
  const client = new CtClient({ inputQueueUrl: queues.inputUrl!, outputQueueUrl: queues.outputUrl! });
  const jobId = await client.startJob({
    input_type: 'VIDEO',
    input_bucket: buckets.input!,
    input_file: 'in/clip20.mp4',
    outputs: [
      { output_type: 'VIDEO', output_bucket: out, output_file: 'job/small.mp4', preset: '320x240-generic' },
      { output_type: 'VIDEO', output_bucket: out, output_file: 'job/sd.mp4', preset: '360p-4.3-generic' },
      { output_type: 'THUMB', mode: 'snapshot', output_bucket: out, output_file: 'job/poster.jpg', size: '320x240', snapshot_sec: 5 },
      { output_type: 'THUMB', mode: 'intervals', output_bucket: out, output_file: 'job/thumbs/t.jpg', size: '160x120', intervals: 5 },
      { output_type: 'AUDIO', output_bucket: out, output_file: 'job/audio.m4a' },
      { output_type: 'HLS', output_bucket: out, output_file: 'job/hls/master.m3u8', resolutions: [480, 360, 240] },
    ],
  });
  const messages = await collect(client, jobId, 8 * 60_000);
  const types = messages.map((m) => m.type);
  expect(types[0]).toBe('JOB_STARTED');
  expect(types.at(-1)).toBe('JOB_COMPLETED');
  expect(types.filter((t) => t === 'JOB_COMPLETED')).toHaveLength(1);
  expect(types).toContain('ACTIVITY_PROGRESS');

  const [job] = (await listJobs(stack)).filter((j) => j.spec.jobId === jobId);
  expect(job?.status?.phase).toBe('Succeeded');
  expect(job?.status?.outputs?.map((o) => o.status)).toEqual([
    'Succeeded',
    'Succeeded',
    'Succeeded',
    'Succeeded',
    'Succeeded',
    'Succeeded',
  ]);

  const d = join(stack.dir, 'out');
  const small = await probe(await download(stack, out, 'job/small.mp4', join(d, 'small.mp4')));
  expect([small.width, small.height, small.videoCodec, small.audioCodec]).toEqual([320, 240, 'h264', 'aac']);
  expect(small.videoProfile).toMatch(/Baseline/);
  expect(Math.abs(small.durationSec - 20)).toBeLessThanOrEqual(0.1);
  const sd = await probe(await download(stack, out, 'job/sd.mp4', join(d, 'sd.mp4')));
  expect([sd.width, sd.height, sd.videoCodec]).toEqual([480, 360, 'h264']);
  expect(Math.abs(sd.durationSec - 20)).toBeLessThanOrEqual(0.1);
  const poster = await probe(await download(stack, out, 'job/poster.jpg', join(d, 'poster.jpg')));
  expect([poster.width, poster.height]).toEqual([320, 240]);
  expect(await listKeys(stack, out, 'job/thumbs/')).toEqual([
    'job/thumbs/t000001.jpg',
    'job/thumbs/t000002.jpg',
    'job/thumbs/t000003.jpg',
    'job/thumbs/t000004.jpg',
  ]);
  const audio = await probe(await download(stack, out, 'job/audio.m4a', join(d, 'audio.m4a')));
  expect([audio.hasVideo, audio.audioCodec]).toEqual([false, 'aac']);
  expect(Math.abs(audio.durationSec - 20)).toBeLessThanOrEqual(0.1);

  // The HLS ladder, read end to end over HTTP by ffmpeg from the master playlist.
  const master = `${envInfo().awsEndpoint}/${out}/job/hls/master.m3u8`;
  const hls = await probe(master);
  expect(
    hls.streams
      .filter((s) => s.codec_type === 'video')
      .map((s) => s.height)
      .sort(),
  ).toEqual([240, 360, 480]);
  execFileSync('ffmpeg', ['-v', 'error', '-i', master, '-map', '0:v:0', '-f', 'null', '-'], { timeout: 120_000 });
  runner.child.kill('SIGTERM');
  await runner.exited;
});

test('a runner killed mid-task: the task goes back to pending and a second runner finishes it, once', async () => {
  const { queues, buckets } = await readyClient(stack, 'killed');
  const clip = await generateClip(join(stack.dir, 'clip-long.mp4'), { durationSec: 30, width: 1280, height: 720, fps: 30 });
  await putFile(stack, buckets.input!, 'in/long.mp4', clip);
  const client = new CtClient({ inputQueueUrl: queues.inputUrl!, outputQueueUrl: queues.outputUrl! });
  // One thread and a high nice value make the task slow enough to be caught mid-way.
  const first = stack.components.startRunner('victim', { CT_RUNNER_CONCURRENCY: '1', CT_RUNNER_FFMPEG_THREADS: '1' });
  const jobId = await client.startJob({
    input_type: 'VIDEO',
    input_bucket: buckets.input!,
    input_file: 'in/long.mp4',
    outputs: [{ output_type: 'VIDEO', output_bucket: buckets.output!, output_file: 'k/720.mp4', preset: '720p-generic' }],
  });
  const processing = await waitFor(
    'the victim runner to report progress',
    async () => {
      const job = (await listJobs(stack)).find((j) => j.spec.jobId === jobId);
      const task = job?.status?.tasks?.[0];
      return task?.state === 2 && (task.progress ?? 0) > 0 && task.runner?.name === 'victim' ? task : undefined;
    },
    120_000,
    300,
  );
  // kill -9 the runner process itself (not its supervisor): no abort reaches the server, so the
  // stall watchdog must take the task back.
  const pid = Number(
    execFileSync('pgrep', ['-P', String(first.pid), '-f', 'dist/runner/main.js'], { encoding: 'utf8' })
      .trim()
      .split('\n')[0],
  );
  process.kill(pid, 'SIGKILL');
  await waitFor(
    'the watchdog to put the task back to pending',
    async () => {
      const job = (await listJobs(stack)).find((j) => j.spec.jobId === jobId);
      const task = job?.status?.tasks?.find((t) => t.uuid === processing.uuid);
      return task?.state === 1 && (task.timeouts ?? 0) >= 1 ? true : undefined;
    },
    90_000,
    500,
  );
  const rescuer = stack.components.startRunner('rescuer', { CT_RUNNER_CONCURRENCY: '1' });
  const messages = await collect(client, jobId, 6 * 60_000);
  expect(messages.filter((m) => m.type === 'JOB_COMPLETED')).toHaveLength(1);
  expect(messages.map((m) => m.type)).toContain('ACTIVITY_TIMEOUT');
  const job = (await listJobs(stack)).find((j) => j.spec.jobId === jobId)!;
  expect(job.status?.phase).toBe('Succeeded');
  expect(job.status?.tasks?.[0]?.runner?.name).toBe('rescuer');
  expect(job.status?.tasks?.[0]?.failures).toBe(0);
  const result = await probe(await download(stack, buckets.output!, 'k/720.mp4', join(stack.dir, 'k720.mp4')));
  expect([result.width, result.height]).toEqual([1280, 720]);
  await rescuer.stop();
});

test('two runners with concurrency 2 share 8 jobs; no task is done twice', async () => {
  const { queues, buckets } = await readyClient(stack, 'shared');
  const clip = await generateClip(join(stack.dir, 'clip-short.mp4'), { durationSec: 4, width: 320, height: 240 });
  await putFile(stack, buckets.input!, 'in/short.mp4', clip);
  const client = new CtClient({ inputQueueUrl: queues.inputUrl!, outputQueueUrl: queues.outputUrl! });
  const runners = [
    stack.components.startRunner('twin-a', { CT_RUNNER_CONCURRENCY: '2' }),
    stack.components.startRunner('twin-b', { CT_RUNNER_CONCURRENCY: '2' }),
  ];
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) {
    ids.push(
      await client.startJob({
        input_type: 'VIDEO',
        input_bucket: buckets.input!,
        input_file: 'in/short.mp4',
        outputs: [{ output_type: 'VIDEO', output_bucket: buckets.output!, output_file: `s/${i}.mp4`, preset: '320x240-generic' }],
      }),
    );
  }
  await waitFor(
    '8 jobs to succeed',
    async () => {
      const jobs = (await listJobs(stack)).filter((j) => ids.includes(j.spec.jobId));
      return jobs.length === 8 && jobs.every((j) => j.status?.phase === 'Succeeded') ? jobs : undefined;
    },
    6 * 60_000,
    1000,
  );
  const jobs = (await listJobs(stack)).filter((j) => ids.includes(j.spec.jobId));
  const byRunner = new Map<string, number>();
  for (const j of jobs) {
    const task = j.status!.tasks![0]!;
    expect(task.failures).toBe(0);
    byRunner.set(task.runner!.name, (byRunner.get(task.runner!.name) ?? 0) + 1);
  }
  expect([...byRunner.keys()].sort()).toEqual(['twin-a', 'twin-b']);
  // Each task ran to success on exactly one runner: every runner-side success line names a distinct task.
  const { readFileSync } = await import('node:fs');
  const successes = ['twin-a', 'twin-b'].flatMap((r) =>
    readFileSync(stack.components.logs[r]!, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"msg":"job succeeded"') || l.includes('job succeeded'))
      .map((l) => (JSON.parse(l) as { jobUuid?: string; uuid?: string }).jobUuid ?? (JSON.parse(l) as { uuid?: string }).uuid),
  );
  expect(successes).toHaveLength(8);
  expect(new Set(successes).size).toBe(8);
  for (const r of runners) r.child.kill('SIGTERM');
});
