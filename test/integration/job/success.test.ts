// A job with VIDEO (preset), THUMB and HLS (3 renditions) outputs on a generated 10 s clip ends
// Succeeded, every output object is in S3, the HLS master plays end to end with ffmpeg, and the SWF
// history shows each activity scheduled, started (by the runner), completed and the workflow completed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { setupHarness, activityTimeline, eventTypes, type Harness } from './harness.js';
import { probe } from '../../helpers/media.js';

const exec = promisify(execFile);
let h: Harness;

beforeAll(async () => {
  h = await setupHarness();
  await h.startOperator();
});
afterAll(async () => {
  await h?.close();
});

test('VIDEO + THUMB + HLS job succeeds, results in S3, SWF history complete', async () => {
  await h.createJob(
    'full',
    [
      { output_type: 'VIDEO', preset: '360p-16.9-generic', output_file: '/out/full/video.mp4', s3_rrs: true, s3_encrypt: true },
      { output_type: 'THUMB', size: '160x90', mode: 'intervals', intervals: 4, output_file: '/out/full/thumbs/t.jpg' },
      { output_type: 'HLS', output_file: '/out/full/hls/master.m3u8' },
    ],
    { labels: false },
  );
  const planned = await h.runner.waitJob('full', 'planned', (j) => j.status?.phase === 'Running' && (j.status.tasks?.length ?? 0) > 0);
  expect(planned.metadata.labels?.['cloudtranscode.io/client']).toBe('client1'); // set by the operator
  expect(planned.status!.probe).toMatchObject({
    duration: expect.any(Number),
    video: { codec: 'h264', width: 640, height: 360 },
    audio: { codec: 'aac' },
  });
  expect(planned.status!.workflow?.runId).toBeTruthy();
  const tasks = planned.status!.tasks!;
  expect(tasks.map((t) => t.name)).toEqual([
    'output 0 VIDEO',
    'output 1 THUMB',
    'output 2 HLS 360p',
    'output 2 HLS 240p',
    'output 2 HLS 144p',
  ]);
  expect(tasks.every((t) => t.priority === 50)).toBe(true);
  await h.runner.waitJob('full', 'activities scheduled', (j) => j.status!.tasks!.every((t) => t.swf?.scheduled));
  await Promise.all(tasks.map((t) => h.runner.run('full', t.uuid)));

  const done = await h.runner.waitJob(
    'full',
    'Succeeded with SWF closed',
    (j) => j.status?.phase === 'Succeeded' && !!j.status.workflow?.closed,
    90_000,
  );
  expect(done.status!.progress).toBe(100);
  expect(done.status!.completedAt).toBeTruthy();
  const [video, thumbs, hls] = done.status!.outputs!;
  expect(video).toMatchObject({ status: 'Succeeded', bucket: h.outBucket, keys: ['out/full/video.mp4'], width: 640, height: 360 });
  expect(video!.duration).toBeGreaterThan(9);
  expect(thumbs).toMatchObject({ status: 'Succeeded', bucket: h.outBucket });
  expect(thumbs!.keys!.sort()).toEqual(['out/full/thumbs/t000001.jpg', 'out/full/thumbs/t000002.jpg', 'out/full/thumbs/t000003.jpg']);
  expect(hls).toMatchObject({ status: 'Succeeded', width: 640, height: 360 });
  expect(hls!.keys![0]).toBe('out/full/hls/master.m3u8');

  // Objects really stored, with the requested storage class / SSE.
  const head = await h.s3.send(new HeadObjectCommand({ Bucket: h.outBucket, Key: 'out/full/video.mp4' }));
  expect(head.StorageClass).toBe('REDUCED_REDUNDANCY');
  expect(head.ServerSideEncryption).toBe('AES256');
  const listed = await h.s3.send(new ListObjectsV2Command({ Bucket: h.outBucket, Prefix: 'out/full/hls/' }));
  expect(listed.Contents!.map((c) => c.Key).sort()).toEqual(
    [
      'master.m3u8',
      'master-144-fragmented.mp4',
      'master-144.m3u8',
      'master-240-fragmented.mp4',
      'master-240.m3u8',
      'master-360-fragmented.mp4',
      'master-360.m3u8',
    ]
      .map((k) => `out/full/hls/${k}`)
      .sort(),
  );
  // The master playlist plays end to end.
  const dir = mkdtempSync(join(tmpdir(), 'ct-hls-'));
  for (const c of listed.Contents!) {
    const o = await h.s3.send(new GetObjectCommand({ Bucket: h.outBucket, Key: c.Key! }));
    writeFileSync(join(dir, c.Key!.split('/').pop()!), Buffer.from(await o.Body!.transformToByteArray()));
  }
  const master = (await import('node:fs')).readFileSync(join(dir, 'master.m3u8'), 'utf8');
  expect(master).toMatch(
    /#EXT-X-STREAM-INF:BANDWIDTH=\d+,RESOLUTION=640x360,FRAME-RATE=25\.000,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"\nmaster-360\.m3u8/,
  );
  expect(master).toContain('RESOLUTION=256x144');
  await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', join(dir, 'master.m3u8'), '-map', '0:v:0', '-f', 'null', '-']);
  const p = await probe(join(dir, 'master.m3u8'));
  expect(p.durationSec).toBeGreaterThan(9);

  // SWF: one activity per task, scheduled → started (by the runner) → completed; workflow completed.
  const events = await h.history(done);
  const timeline = activityTimeline(events);
  expect([...timeline.keys()].sort()).toEqual(tasks.map((t) => t.uuid).sort());
  for (const t of tasks) expect(timeline.get(t.uuid)).toEqual(['Scheduled', 'Started', 'Completed']);
  const started = events.filter((e) => e.eventType === 'ActivityTaskStarted');
  expect(started.every((e) => e.activityTaskStartedEventAttributes!.identity === 'test-runner')).toBe(true);
  expect(eventTypes(events)).toContain('WorkflowExecutionCompleted');
  expect(eventTypes(events)[0]).toBe('WorkflowExecutionStarted');
});
