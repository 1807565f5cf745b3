// G1 fidelity of the pure parts: input_asset_info shape and types (reference §3.1.5), conversion
// rules, G2-style HLS requests, and STARTED before every FAILED for outputs refused at planning.
import { g1AssetInfo, ffmpegFps } from '../../../lib/ct/asset-info.js';
import { conversionRefusal } from '../../../lib/ct/conversion.js';
import { planMessages } from '../../../lib/ct/events.js';
import { planJob } from '../../../operator/job/plan.js';
import type { ProbeInfo, TranscodeJob } from '../../../lib/schema/transcode-job.js';
import type { OutputSpec } from '../../../lib/schema/ct-job.js';
import { jobFixture, outputsFixture } from '../../helpers/fixtures.js';

const probe: ProbeInfo = {
  duration: 1534.2049,
  size: 123456789,
  video: { codec: 'h264', width: 1280, height: 720, fps: 29.97, pixFmt: 'yuv420p', bitrate: 2500400 },
  audio: { codec: 'aac', sampleRate: 44100, channels: 2, bitrate: 128000 },
};

test('input_asset_info: flat G1 keys with ffmpeg-text values; size is "WxH", not bytes', () => {
  expect(g1AssetInfo(probe)).toEqual({
    duration: 1534.2,
    vcodec: 'h264',
    color: 'yuv420p',
    size: '1280x720',
    vbitrate: '2500 kb/s',
    fps: '29.97 fps',
    ratio: '1.8',
    acodec: 'aac',
    freq: '44100 Hz',
    mode: 'stereo',
    abitrate: '128 kb/s',
  });
  expect(ffmpegFps(25)).toBe('25 fps');
  expect(g1AssetInfo({ duration: 3, audio: { codec: 'mp3', channels: 1 } })).toEqual({ duration: 3, acodec: 'mp3', mode: 'mono' });
  // Rotated sources are described as displayed.
  expect(g1AssetInfo({ duration: 1, video: { codec: 'h264', width: 1920, height: 1080, fps: 30, rotation: 90 } })).toMatchObject({
    size: '1080x1920',
    ratio: '0.6',
  });
});

test('conversion rules: AUDIO input → only AUDIO; VIDEO input → VIDEO, THUMB, AUDIO, HLS', () => {
  expect(conversionRefusal('AUDIO', { output_type: 'VIDEO' })).toMatchObject({ reason: 'CONVERSION_TYPE_ERROR' });
  expect(conversionRefusal('AUDIO', { output_type: 'THUMB' })).toMatchObject({ reason: 'CONVERSION_TYPE_ERROR' });
  expect(conversionRefusal('AUDIO', { output_type: 'AUDIO' })).toBeUndefined();
  for (const t of ['VIDEO', 'THUMB', 'AUDIO', 'HLS'] as const) expect(conversionRefusal('VIDEO', { output_type: t })).toBeUndefined();
});

function job(inputType: 'VIDEO' | 'AUDIO', outputs: Partial<OutputSpec>[]): TranscodeJob {
  return jobFixture({ outputs: outputsFixture(outputs), inputType, jobId: 'j1', inputBucket: 'in', inputFile: '/in.mp4' });
}
let n = 0;
const ctx = (j: TranscodeJob, p: ProbeInfo) => ({
  job: j,
  probe: p,
  clientPriority: 100,
  now: '2026-01-01T00:00:00.000Z',
  newUuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
});

test('HLS the G2 way: a VIDEO output with an hls* preset and an .m3u8 file is one HLS rendition at the preset resolution', () => {
  const j = job('VIDEO', [{ preset: 'hls400k-generic', output_file: '/hls/video1.m3u8' }]);
  const plan = planJob(ctx(j, probe));
  expect(plan.outputs[0]).toMatchObject({ status: 'Pending', type: 'HLS' });
  expect(plan.tasks.map((t) => [t.type, (t.payload as any).output.resolution])).toEqual([['vod-hls-transcoding', 288]]);
  expect(plan.tasks[0]!.placement.files).toEqual({
    'payload[videoFile]': 'hls/video1-288-fragmented.mp4',
    'payload[resolutionPlaylistFile]': 'hls/video1-288.m3u8',
  });
  // Above the input resolution it is clamped (G2), not refused.
  const small: ProbeInfo = { ...probe, video: { ...probe.video!, width: 320, height: 180 } };
  const clamped = planJob(ctx(job('VIDEO', [{ preset: 'hls2M-generic', output_file: '/hls/m.m3u8' }]), small));
  expect((clamped.tasks[0]!.payload as any).output.resolution).toBe(180);
});

test('AUDIO input → VIDEO output refused with CONVERSION_TYPE_ERROR even with a preview image', () => {
  const audio: ProbeInfo = { duration: 4, audio: { codec: 'aac' } };
  const plan = planJob(ctx(job('AUDIO', [{ preset: '360p-16.9-generic' }, { output_type: 'AUDIO', output_file: '/a.m4a' }]), audio), {
    bucket: 'out',
    key: 'p.jpg',
  });
  expect(plan.outputs.map((o) => o.reason)).toEqual(['CONVERSION_TYPE_ERROR', undefined]);
  expect(plan.tasks.map((t) => t.type)).toEqual(['ct-audio-extraction']);
});

test('every ACTIVITY_FAILED follows an ACTIVITY_STARTED of the same id (refused outputs, failed validation)', () => {
  const j = job('VIDEO', [{ preset: '1080p-generic' }, { preset: '480p-4.3-generic' }]);
  j.status = { phase: 'Running', workflow: { workflowId: 'w', runId: 'r' }, probe };
  const plan = planJob(ctx(j, probe));
  j.status.tasks = plan.tasks;
  j.status.outputs = plan.outputs;
  const msgs = planMessages(j, new Set(), { requireWorkflow: true }).map((p) => p.message);
  const failed = msgs.filter((m) => m.type === 'ACTIVITY_FAILED') as any[];
  expect(failed.map((m) => m.data.activity.reason)).toEqual(['ENLARGEMENT_ERROR', 'RATIO_ERROR']);
  for (const f of failed) {
    const id = f.data.activity.activityId;
    const started = msgs.findIndex((m: any) => m.type === 'ACTIVITY_STARTED' && m.data.activity.activityId === id);
    expect(started).toBeGreaterThanOrEqual(0);
    expect(started).toBeLessThan(msgs.indexOf(f));
    expect((msgs[started] as any).data.activity.input.input_asset_info.size).toBe('1280x720');
  }
  // Failed validation: the validation and every output are started before they fail.
  const v = job('VIDEO', [{ preset: '360p-16.9-generic' }]);
  v.status = {
    phase: 'Failed',
    reason: 'S3_OPS_FAILED',
    message: 'missing',
    outputs: [{ index: 0, type: 'VIDEO', status: 'Failed', reason: 'S3_OPS_FAILED' }],
  };
  expect(planMessages(v, new Set(), { requireWorkflow: true }).map((p) => p.message.type)).toEqual([
    'JOB_STARTED',
    'ACTIVITY_STARTED',
    'ACTIVITY_FAILED',
    'ACTIVITY_STARTED',
    'ACTIVITY_FAILED',
    'JOB_FAILED',
  ]);
});
