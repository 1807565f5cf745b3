// Audio-only inputs where an output can use them (AUDIO extraction; VIDEO and THUMB are refused with
// CONVERSION_TYPE_ERROR as in CT G1, nothing stored for them), and a VIDEO input with a missing
// watermark image.
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

test('audio-only input: AUDIO succeeds, VIDEO and THUMB fail alone with CONVERSION_TYPE_ERROR', async () => {
  await h.createJob(
    'audio',
    [
      { output_type: 'AUDIO', output_file: '/out/audio/a.mp3' },
      { output_type: 'VIDEO', preset: '360p-16.9-generic', output_file: '/out/audio/v.mp4' },
      { output_type: 'THUMB', size: '64x36', output_file: '/out/audio/t.jpg' },
    ],
    { inputFile: '/audio/song.m4a', inputType: 'AUDIO' },
  );
  const planned = await h.runner.waitJob('audio', 'planned', (x) => (x.status?.tasks?.length ?? 0) === 1);
  expect(planned.status!.probe!.video).toBeUndefined();
  expect(planned.status!.tasks!.map((t) => t.type)).toEqual(['ct-audio-extraction']);
  expect(planned.status!.outputs![1]).toMatchObject({ status: 'Failed', reason: 'CONVERSION_TYPE_ERROR' });
  expect(planned.status!.outputs![2]).toMatchObject({ status: 'Failed', reason: 'CONVERSION_TYPE_ERROR' });
  // No still image is stored for a refused audio → video conversion.
  await expect(h.s3.send(new HeadObjectCommand({ Bucket: h.outBucket, Key: 'out/audio/v-preview.jpg' }))).rejects.toThrow();
  await h.runner.run('audio', planned.status!.tasks![0]!.uuid);
  const j = await h.runner.waitJob('audio', 'Succeeded', (x) => x.status?.phase === 'Succeeded' && !!x.status.workflow?.closed);
  expect(j.status!.outputs![0]).toMatchObject({ status: 'Succeeded', keys: ['out/audio/a.mp3'] });
  expect(j.status!.outputs![0]!.duration).toBeGreaterThan(3);
  expect(j.status!.message).toContain('CONVERSION_TYPE_ERROR');
  expect(activityTimeline(await h.history(j)).size).toBe(1);
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
