// Planner and lifecycle rules, as pure functions on a job status.
import { planJob, hlsKeys, normalizeKey } from '../../../operator/job/plan.js';
import { applyCancellation, applyWatchdog, updateOutputs, finishIfDone, jobProgress } from '../../../operator/job/lifecycle.js';
import { acceptTask, completeTask, errorTask } from '../../../lib/peertube/task-state.js';
import type { TranscodeJob, ProbeInfo, TranscodeJobStatus } from '../../../lib/schema/transcode-job.js';
import type { OutputSpec } from '../../../lib/schema/ct-job.js';
import { jobFixture, outputsFixture } from '../../helpers/fixtures.js';

const probe: ProbeInfo = { duration: 10, video: { codec: 'h264', width: 640, height: 360, fps: 25 }, audio: { codec: 'aac' } };

function job(outputs: Partial<OutputSpec>[], extra: Partial<TranscodeJob['spec']> = {}): TranscodeJob {
  const specs = outputsFixture(outputs, { output_bucket: 'out-bucket', output_file: '/out/x.mp4' });
  return jobFixture({ outputs: specs, name: 'j1', client: 'c1', inputBucket: 'in-bucket', inputFile: '/videos/in.mp4', spec: extra });
}

let n = 0;
const ctx = (j: TranscodeJob, p: ProbeInfo = probe) => ({
  job: j,
  probe: p,
  clientPriority: 100,
  now: '2026-01-01T00:00:00.000Z',
  newUuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
});

test('VIDEO, THUMB, HLS and AUDIO outputs become runner tasks with paths, placements and priorities', () => {
  const j = job(
    [
      { output_type: 'VIDEO', preset: '360p-16.9-generic', output_file: '/out/v.mp4', s3_rrs: true, s3_encrypt: true },
      { output_type: 'THUMB', size: '160x90', mode: 'intervals', intervals: 2, output_file: '/out/thumbs/t.jpg' },
      { output_type: 'HLS', output_file: '/out/hls/master.m3u8' },
      { output_type: 'AUDIO', output_file: 'out/a.m4a' },
    ],
    { priority: 5 },
  );
  const plan = planJob(ctx(j));
  expect(plan.outputs.map((o) => o.status)).toEqual(['Pending', 'Pending', 'Pending', 'Pending']);
  expect(plan.tasks.map((t) => t.type)).toEqual([
    'ct-video-transcoding',
    'ct-thumbnails',
    'vod-hls-transcoding',
    'vod-hls-transcoding',
    'vod-hls-transcoding',
    'ct-audio-extraction',
  ]);
  expect(plan.tasks.map((t) => t.name)).toEqual([
    'output 0 VIDEO',
    'output 1 THUMB',
    'output 2 HLS 360p',
    'output 2 HLS 240p',
    'output 2 HLS 144p',
    'output 3 AUDIO',
  ]);
  for (const t of plan.tasks) {
    expect(t.state).toBe(1);
    expect(t.priority).toBe(105);
    expect(t.inputs.video).toEqual({ bucket: 'in-bucket', key: 'videos/in.mp4' });
    expect(t.swf).toEqual({ activityId: t.uuid });
    const url = (t.payload as { input: { videoFileUrl: string } }).input.videoFileUrl;
    expect(url).toBe(`/api/v1/runners/jobs/${t.uuid}/files/videos/uid-1/max-quality`);
  }
  const [video, thumb, hls360] = plan.tasks;
  expect(video!.placement).toEqual({
    bucket: 'out-bucket',
    files: { 'payload[videoFile]': 'out/v.mp4' },
    storageClass: 'REDUCED_REDUNDANCY',
    sse: 'AES256',
  });
  expect((video!.payload as any).output.encoding).toMatchObject({
    width: 640,
    height: 360,
    videoBitrate: '720k',
    profile: 'baseline',
    level: '3',
  });
  expect(thumb!.placement).toEqual({ bucket: 'out-bucket', prefix: 'out/thumbs/' });
  expect((thumb!.payload as any).output).toEqual({
    mode: 'intervals',
    width: 160,
    height: 90,
    snapshotSec: 0,
    intervals: 2,
    fileName: 't.jpg',
  });
  expect(hls360!.placement).toEqual({
    bucket: 'out-bucket',
    files: { 'payload[videoFile]': 'out/hls/master-360-fragmented.mp4', 'payload[resolutionPlaylistFile]': 'out/hls/master-360.m3u8' },
    rewrites: { 'payload[resolutionPlaylistFile]': 'payload[videoFile]' },
  });
  expect((hls360!.payload as any).output).toEqual({ resolution: 360, fps: 25, separatedAudio: false });
});

test('a bad output fails alone with its CT reason', () => {
  const j = job([
    { output_type: 'VIDEO', preset: '1080p-generic' },
    { output_type: 'VIDEO', preset: 'does-not-exist' },
    { output_type: 'VIDEO', preset: '480p-4.3-generic' },
    { output_type: 'THUMB', size: '64x64', snapshot_sec: 30, output_file: 'a.jpg' },
    { output_type: 'HLS', resolutions: [720, 1080], output_file: 'h.m3u8' },
    { output_type: 'VIDEO', preset: '360p-16.9-generic' },
  ]);
  const plan = planJob(ctx(j));
  expect(plan.outputs.map((o) => [o.status, o.reason])).toEqual([
    ['Failed', 'ENLARGEMENT_ERROR'],
    ['Failed', 'UNKNOWN_PRESET'],
    ['Failed', 'RATIO_ERROR'],
    ['Failed', 'TRANSCODE_FAIL'],
    ['Failed', 'ENLARGEMENT_ERROR'],
    ['Pending', undefined],
  ]);
  expect(plan.tasks).toHaveLength(1);
  expect(plan.tasks[0]!.outputIndex).toBe(5);
});

test('audio-only inputs: AUDIO works, THUMB refused, VIDEO via audio merge when a preview exists', () => {
  const audioOnly: ProbeInfo = { duration: 5, audio: { codec: 'aac' } };
  const j = job([
    { output_type: 'AUDIO', output_file: 'a.mp3' },
    { output_type: 'THUMB', size: '64x64', output_file: 't.jpg' },
    { output_type: 'VIDEO', preset: '720p-generic' },
  ]);
  const without = planJob(ctx(j, audioOnly));
  expect(without.outputs.map((o) => o.reason)).toEqual([undefined, 'CONVERSION_TYPE_ERROR', 'CONVERSION_TYPE_ERROR']);
  const withPreview = planJob(ctx(j, audioOnly), { bucket: 'b', key: 'preview.jpg' });
  const merge = withPreview.tasks.find((t) => t.type === 'vod-audio-merge-transcoding')!;
  expect((merge.payload as any).output).toEqual({ resolution: 720, fps: 25 });
  expect(merge.inputs.preview).toEqual({ bucket: 'b', key: 'preview.jpg' });
});

test('keys: leading slash dropped, HLS rendition names beside the master', () => {
  expect(normalizeKey('//a//b/c.mp4')).toBe('a/b/c.mp4');
  expect(hlsKeys('/x/master.m3u8', 720)).toEqual({ video: 'x/master-720-fragmented.mp4', playlist: 'x/master-720.m3u8' });
  expect(hlsKeys('m.m3u8', 144)).toEqual({ video: 'm-144-fragmented.mp4', playlist: 'm-144.m3u8' });
});

function planned(outputs: Partial<OutputSpec>[], extra: Partial<TranscodeJob['spec']> = {}): { j: TranscodeJob; s: TranscodeJobStatus } {
  const j = job(outputs, extra);
  const p = planJob(ctx(j));
  return { j, s: { phase: 'Running', tasks: p.tasks, outputs: p.outputs } };
}

test('an errored task fails its output (TRANSCODE_FAIL) and the job, CT style, still succeeds with the others', () => {
  const { j, s } = planned([
    { output_type: 'VIDEO', preset: '360p-16.9-generic' },
    { output_type: 'HLS', resolutions: [360, 240], output_file: 'h.m3u8' },
  ]);
  const [v, h1, h2] = s.tasks!;
  const now = '2026-01-01T00:01:00.000Z';
  for (let i = 0; i < 5; i++) {
    expect(acceptTask(s, h1!.uuid, { name: 'r' }, 'hash', now).ok).toBe(true);
    expect(errorTask(s, h1!.uuid, 'boom', now).ok).toBe(true);
  }
  expect(h1!.state).toBe(4);
  updateOutputs(j, s, now);
  expect(s.outputs![1]).toMatchObject({ status: 'Failed', reason: 'TRANSCODE_FAIL' });
  expect(h2!.state).toBe(6); // the rest of a failed HLS ladder is cancelled
  acceptTask(s, v!.uuid, { name: 'r' }, 'hash', now);
  completeTask(s, v!.uuid, { bucket: 'out-bucket', keys: ['out/x.mp4'] }, now);
  const { ready } = updateOutputs(j, s, now);
  expect(ready).toEqual([0]);
  expect(finishIfDone(j, s, now)).toBe(false); // output 0 not finalized yet
  s.outputs![0]!.status = 'Succeeded';
  expect(finishIfDone(j, s, now)).toBe(true);
  expect(s.phase).toBe('Succeeded');
  expect(s.message).toMatch(/failed: output 1 \(TRANSCODE_FAIL\)/);
});

test('watchdog re-queues silent tasks and counts the timeout; cancel ends the job Canceled', () => {
  const { j, s } = planned([
    { output_type: 'VIDEO', preset: '360p-16.9-generic' },
    { output_type: 'AUDIO', output_file: 'a.m4a' },
  ]);
  const [v, a] = s.tasks!;
  acceptTask(s, v!.uuid, { name: 'runner-1' }, 'hash', '2026-01-01T00:00:00.000Z');
  v!.progress = 40;
  expect(jobProgress(s)).toBe(20);
  expect(applyWatchdog(s, Date.parse('2026-01-01T00:00:05.000Z'), 10_000)).toEqual([]);
  expect(applyWatchdog(s, Date.parse('2026-01-01T00:00:11.000Z'), 10_000)).toEqual([v!.uuid]);
  expect(v).toMatchObject({ state: 1, timeouts: 1, failures: 0 });
  expect(v!.runner).toBeUndefined();
  const cj = { ...j, spec: { ...j.spec, cancel: true } };
  acceptTask(s, a!.uuid, { name: 'runner-2' }, 'hash', '2026-01-01T00:00:12.000Z');
  expect(applyCancellation(cj, s, '2026-01-01T00:00:13.000Z').sort()).toEqual([v!.uuid, a!.uuid].sort());
  updateOutputs(cj, s, '2026-01-01T00:00:13.000Z');
  expect(finishIfDone(cj, s, '2026-01-01T00:00:13.000Z')).toBe(true);
  expect(s.phase).toBe('Canceled');
  expect(s.outputs!.map((o) => o.reason)).toEqual(['JOB_CANCELED', 'JOB_CANCELED']);
});
