// Issue 18 end to end: our runner lets ffmpeg read an MP4 while it downloads (moov first) and falls
// back to download-first when the moov box is at the end; HLS renditions are uploaded while ffmpeg
// writes them. Real operator, api-server, moto and ffmpeg; outputs checked with ffprobe.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CtClient } from '../../sdk/index.js';
import type { AnyCtMessage } from '../../lib/ct/messages.js';
import { generateClip, probe } from '../helpers/media.js';
import { envInfo } from '../helpers/env.js';
import { startStack, readyClient, listJobs, putFile, download, type Stack } from '../helpers/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('stream');
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

/** Top-level MP4 box types in file order. */
function boxes(file: string): string[] {
  const b = readFileSync(file);
  const out: string[] = [];
  for (let off = 0; off + 8 <= b.length;) {
    let size = b.readUInt32BE(off);
    if (size === 1) size = Number(b.readBigUInt64BE(off + 8));
    out.push(b.toString('latin1', off + 4, off + 8));
    if (size < 8) break;
    off += size;
  }
  return out;
}

/** The runner's 'input opened' log lines: did each job stream its input, and if not why. */
function inputDecisions(logFile: string): { streaming: boolean; why?: string }[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"input opened"'))
    .map((l) => JSON.parse(l) as { streaming: boolean; why?: string });
}

test('moov-first input is streamed, moov-at-end input is downloaded first; VIDEO and HLS outputs are complete', async () => {
  const { queues, buckets } = await readyClient(stack, 'streaming');
  const runner = stack.components.startRunner('stream-runner', { CT_RUNNER_CONCURRENCY: '1' });
  const fast = await generateClip(join(stack.dir, 'fast.mp4'), { durationSec: 8, width: 640, height: 360, fps: 25 });
  // Same clip with the moov box at the end (no +faststart): ffmpeg would need to seek to the end.
  const late = join(stack.dir, 'late.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', fast, '-c', 'copy', '-f', 'mp4', late]);
  expect(boxes(fast).indexOf('moov')).toBeLessThan(boxes(fast).indexOf('mdat'));
  expect(boxes(late).indexOf('moov')).toBeGreaterThan(boxes(late).indexOf('mdat'));
  await putFile(stack, buckets.input!, 'in/fast.mp4', fast);
  await putFile(stack, buckets.input!, 'in/late.mp4', late);
  const out = buckets.output!;
  const client = new CtClient({ inputQueueUrl: queues.inputUrl!, outputQueueUrl: queues.outputUrl! });
  const d = join(stack.dir, 'out');

  for (const [name, input] of [
    ['fast', 'in/fast.mp4'],
    ['late', 'in/late.mp4'],
  ] as const) {
    const jobId = await client.startJob({
      input_type: 'VIDEO',
      input_bucket: buckets.input!,
      input_file: input,
      outputs: [
        { output_type: 'VIDEO', output_bucket: out, output_file: `${name}/v.mp4`, preset: '360p-16.9-generic' },
        { output_type: 'HLS', output_bucket: out, output_file: `${name}/hls/master.m3u8`, resolutions: [360, 240] },
      ],
    });
    const types = (await collect(client, jobId, 6 * 60_000)).map((m) => m.type);
    expect(types.at(-1)).toBe('JOB_COMPLETED');
    const [job] = (await listJobs(stack)).filter((j) => j.spec.jobId === jobId);
    expect(job?.status?.outputs?.map((o) => o.status)).toEqual(['Succeeded', 'Succeeded']);

    const v = await download(stack, out, `${name}/v.mp4`, join(d, name, 'v.mp4'));
    const p = await probe(v);
    expect([p.width, p.height, p.videoCodec, p.audioCodec]).toEqual([640, 360, 'h264', 'aac']);
    expect(Math.abs(p.durationSec - 8)).toBeLessThanOrEqual(0.1);
    // Written in one pass with the moov box in the reserved space at the front (progressive playback).
    const order = boxes(v);
    expect(order.indexOf('moov')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('moov')).toBeLessThan(order.indexOf('mdat'));

    // Every rendition uploaded while it was written: decodes in full over HTTP from the master playlist.
    const master = `${envInfo().awsEndpoint}/${out}/${name}/hls/master.m3u8`;
    const hls = await probe(master);
    expect(
      hls.streams
        .filter((s) => s.codec_type === 'video')
        .map((s) => s.height)
        .sort(),
    ).toEqual([240, 360]);
    const rendition = `${envInfo().awsEndpoint}/${out}/${name}/hls/master-360.m3u8`;
    const frames = execFileSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=nb_read_frames',
        '-of',
        'default=nw=1:nk=1',
        rendition,
      ],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(Number(frames.trim().split('\n')[0])).toBe(8 * 25); // HLS: one line for the program, one for the stream
  }

  // Three tasks per job (VIDEO + 2 renditions): the first job's inputs streamed, the second's downloaded first.
  const decisions = inputDecisions(runner.logFile);
  expect(decisions).toHaveLength(6);
  expect(decisions.slice(0, 3).every((x) => x.streaming)).toBe(true);
  expect(decisions.slice(3).map((x) => [x.streaming, x.why])).toEqual(Array(3).fill([false, 'media data before the moov box']));
  runner.child.kill('SIGTERM');
  await runner.exited;
});
