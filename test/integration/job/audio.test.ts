// Audio-only inputs where an output can use them (AUDIO extraction, VIDEO through PeerTube's audio
// merge with a still image the operator stores), and a VIDEO input with a missing watermark image.
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { setupHarness, activityTimeline, type Harness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await setupHarness();
  await h.startOperator();
});
afterAll(async () => {
  await h?.close();
});

test('audio-only input: AUDIO and VIDEO (audio merge) succeed, THUMB fails alone', async () => {
  await h.createJob(
    'audio',
    [
      { output_type: 'AUDIO', output_file: '/out/audio/a.mp3' },
      { output_type: 'VIDEO', preset: '360p-16.9-generic', output_file: '/out/audio/v.mp4' },
      { output_type: 'THUMB', size: '64x36', output_file: '/out/audio/t.jpg' },
    ],
    { inputFile: '/audio/song.m4a', inputType: 'AUDIO' },
  );
  const planned = await h.runner.waitJob('audio', 'planned', (x) => (x.status?.tasks?.length ?? 0) === 2);
  expect(planned.status!.probe!.video).toBeUndefined();
  expect(planned.status!.tasks!.map((t) => t.type)).toEqual(['ct-audio-extraction', 'vod-audio-merge-transcoding']);
  const merge = planned.status!.tasks![1]!;
  expect(merge.payload).toMatchObject({ output: { resolution: 360, fps: 25 } });
  expect(merge.inputs.preview).toEqual({ bucket: h.outBucket, key: 'out/audio/v-preview.jpg' });
  await h.s3.send(new HeadObjectCommand({ Bucket: h.outBucket, Key: 'out/audio/v-preview.jpg' }));
  expect(planned.status!.outputs![2]).toMatchObject({ status: 'Failed', reason: 'CONVERSION_TYPE_ERROR' });
  await Promise.all(planned.status!.tasks!.map((t) => h.runner.run('audio', t.uuid)));
  const j = await h.runner.waitJob('audio', 'Succeeded', (x) => x.status?.phase === 'Succeeded' && !!x.status.workflow?.closed);
  expect(j.status!.outputs![0]).toMatchObject({ status: 'Succeeded', keys: ['out/audio/a.mp3'] });
  expect(j.status!.outputs![0]!.duration).toBeGreaterThan(3);
  expect(j.status!.outputs![1]).toMatchObject({ status: 'Succeeded', keys: ['out/audio/v.mp4'], width: 640, height: 360 });
  expect(j.status!.message).toContain('failed: output 2 (CONVERSION_TYPE_ERROR)');
  expect(activityTimeline(await h.history(j)).size).toBe(2);
});

test('a missing watermark image fails that output with WATERMARK_ERROR', async () => {
  await h.createJob('wm', [
    {
      output_type: 'VIDEO',
      preset: '360p-16.9-generic',
      output_file: '/out/wm/v.mp4',
      watermark: { input_bucket: h.inBucket, input_file: '/nope/logo.png' },
    },
    { output_type: 'THUMB', size: '64x36', output_file: '/out/wm/t.jpg' },
  ]);
  const planned = await h.runner.waitJob('wm', 'planned', (x) => (x.status?.tasks?.length ?? 0) === 1);
  expect(planned.status!.outputs![0]).toMatchObject({ status: 'Failed', reason: 'WATERMARK_ERROR' });
  expect(planned.status!.outputs![0]!.details).toContain('nope/logo.png');
  await h.runner.run('wm', planned.status!.tasks![0]!.uuid);
  const j = await h.runner.waitJob('wm', 'Succeeded', (x) => x.status?.phase === 'Succeeded');
  expect(j.status!.outputs!.map((o) => o.status)).toEqual(['Failed', 'Succeeded']);
});
