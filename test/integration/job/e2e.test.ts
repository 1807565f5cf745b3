// End to end with real processes doing the runner side: the job controller (this process) + the
// api-server (dist/api-server/main.js) + our runner (dist/runner/main.js, asking for the ct-* types).
// A CT job with VIDEO (preset honoured: profile/level/size), THUMB, HLS and AUDIO outputs ends
// Succeeded with its results in S3, and SWF shows every activity started by the runner and completed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { type ManagedProcess } from '../../env/process.js';
import { spawnRunner } from '../../env/components.js';
import { envInfo } from '../../helpers/env.js';
import { probe } from '../../helpers/media.js';
import { startApiServer, createRegistrationSecret, type ApiServerProcess } from '../api-server/harness.js';
import { setupHarness, activityTimeline, eventTypes, type Harness } from './harness.js';

let h: Harness;
const procs: (ManagedProcess | ApiServerProcess)[] = [];

beforeAll(async () => {
  h = await setupHarness();
  await h.startOperator();
});
afterAll(async () => {
  for (const p of procs.reverse()) await p.stop();
  await h?.close();
});

test('CT job through the real api-server and runner: Succeeded, results in S3, SWF complete', async () => {
  const info = envInfo();
  const api = await startApiServer(h.ns);
  procs.push(api);
  const { token } = await createRegistrationSecret(h.ns);
  const work = mkdtempSync(join(info.dir, 'job-e2e-runner-'));
  procs.push(
    spawnRunner(info, {
      url: api.url,
      registrationToken: token,
      name: 'e2e-runner',
      dir: work,
      logFile: join(info.dir, `runner-${h.ns}.log`),
      env: {
        CT_RUNNER_CONCURRENCY: '2',
        CT_RUNNER_JOB_TYPES:
          'vod-web-video-transcoding,vod-hls-transcoding,vod-audio-merge-transcoding,ct-video-transcoding,ct-thumbnails,ct-audio-extraction',
      },
    }),
  );
  await h.createJob('e2e', [
    { output_type: 'VIDEO', preset: '360p-16.9-generic', output_file: '/out/e2e/video.mp4', s3_rrs: true },
    { output_type: 'THUMB', size: '160x90', snapshot_sec: 2, output_file: '/out/e2e/snap.jpg' },
    { output_type: 'HLS', resolutions: [360, 240, 144], output_file: '/out/e2e/hls/master.m3u8' },
    { output_type: 'AUDIO', output_file: '/out/e2e/audio.m4a' },
  ]);
  const done = await h.runner.waitJob(
    'e2e',
    'Succeeded',
    (j) => {
      if (j.status?.phase === 'Failed' || j.status?.phase === 'Canceled')
        throw new Error(`job ended ${j.status.phase}: ${j.status.message}`);
      return j.status?.phase === 'Succeeded' && !!j.status.workflow?.closed;
    },
    300_000,
  );
  expect(done.status!.outputs!.map((o) => o.status)).toEqual(['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded']);
  expect(done.status!.tasks!.every((t) => t.state === 3 && t.runner?.name === 'e2e-runner')).toBe(true);

  // The preset is honoured exactly: size, H.264 baseline profile, level 3.0, stored with the storage class.
  const head = await h.s3.send(new HeadObjectCommand({ Bucket: h.outBucket, Key: 'out/e2e/video.mp4' }));
  expect(head.StorageClass).toBe('REDUCED_REDUNDANCY');
  const file = join(work, 'video.mp4');
  const obj = await h.s3.send(new GetObjectCommand({ Bucket: h.outBucket, Key: 'out/e2e/video.mp4' }));
  writeFileSync(file, Buffer.from(await obj.Body!.transformToByteArray()));
  const p = await probe(file);
  expect([p.width, p.height, p.videoCodec, p.audioCodec]).toEqual([640, 360, 'h264', 'aac']);
  expect(p.videoProfile).toMatch(/Baseline/);
  expect(p.videoLevel).toBe(30);
  await h.s3.send(new HeadObjectCommand({ Bucket: h.outBucket, Key: 'out/e2e/snap.jpg' }));
  await h.s3.send(new HeadObjectCommand({ Bucket: h.outBucket, Key: 'out/e2e/audio.m4a' }));
  const master = await (
    await h.s3.send(new GetObjectCommand({ Bucket: h.outBucket, Key: 'out/e2e/hls/master.m3u8' }))
  ).Body!.transformToString();
  expect(master.match(/#EXT-X-STREAM-INF/g)).toHaveLength(3);

  const events = await h.history(done);
  const timeline = activityTimeline(events);
  for (const t of done.status!.tasks!) expect(timeline.get(t.uuid)).toEqual(['Scheduled', 'Started', 'Completed']);
  expect(
    events
      .filter((e) => e.eventType === 'ActivityTaskStarted')
      .every((e) => e.activityTaskStartedEventAttributes!.identity === 'e2e-runner'),
  ).toBe(true);
  expect(eventTypes(events)).toContain('WorkflowExecutionCompleted');
}, 420_000);
