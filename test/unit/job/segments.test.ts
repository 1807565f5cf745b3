// Segment-parallel VIDEO planning and the join dependency, as pure functions on a job status.
import { planJob } from '../../../operator/job/plan.js';
import { DEFAULT_SEGMENT_POLICY, segmentPolicyFromEnv, segmentRanges, splitVideoTask } from '../../../operator/job/outputs/segments.js';
import { canSegment } from '../../../operator/job/scheduling.js';
import { applyCancellation, updateOutputs } from '../../../operator/job/lifecycle.js';
import { acceptTask, cancelTask, completeTask, errorTask, releaseWaiting } from '../../../lib/peertube/task-state.js';
import type { CtVideoConcatPayload, CtVideoSegmentPayload } from '../../../lib/peertube/job-types.js';
import {
  TaskState,
  type ProbeInfo,
  type TaskStatus,
  type TranscodeJob,
  type TranscodeJobStatus,
} from '../../../lib/schema/transcode-job.js';
import type { OutputSpec } from '../../../lib/schema/ct-job.js';
import { ConfigError } from '../../../lib/config/env.js';

const NOW = '2026-01-01T00:00:00.000Z';
let n = 0;
const newUuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;

function job(outputs: Partial<OutputSpec>[]): TranscodeJob {
  return {
    apiVersion: 'cloudtranscode.io/v1alpha1',
    kind: 'TranscodeJob',
    metadata: { name: 'j1', namespace: 'ns', uid: 'uid-1' },
    spec: {
      clientRef: { name: 'c1' },
      jobId: 'job-1',
      job: {
        input_type: 'VIDEO',
        input_bucket: 'in-bucket',
        input_file: 'in.mp4',
        outputs: outputs.map((o) => ({ output_bucket: 'out-bucket', output_file: 'out/v.mp4', output_type: 'VIDEO', ...o }) as OutputSpec),
      },
    },
  };
}

const probe = (duration: number): ProbeInfo => ({
  duration,
  video: { codec: 'h264', width: 640, height: 360, fps: 25 },
  audio: { codec: 'aac' },
});

function planned(duration: number, outputs: Partial<OutputSpec>[] = [{ preset: '360p-16.9-generic' }]): TaskStatus[] {
  const plan = planJob({ job: job(outputs), probe: probe(duration), clientPriority: 100, now: NOW, newUuid });
  return plan.tasks;
}

const split = (t: TaskStatus, policy = DEFAULT_SEGMENT_POLICY) => splitVideoTask(t, { videoUuid: 'uid-1', policy, newUuid, now: NOW });

describe('segment ranges', () => {
  test('not longer than the threshold: encoded whole', () => {
    expect(segmentRanges(120, 25, DEFAULT_SEGMENT_POLICY)).toBeUndefined();
    expect(segmentRanges(121, 25, DEFAULT_SEGMENT_POLICY)).toBeDefined();
  });

  test('whole GOPs, the fan-out capped, the last range open and at least one GOP long', () => {
    const r = segmentRanges(600, 25, DEFAULT_SEGMENT_POLICY)!; // 15 000 frames, GOP 50
    expect(r).toHaveLength(16);
    for (const s of r) {
      expect(s.startFrame % 50).toBe(0);
      expect(s.gopFrames).toBe(50);
      expect(s.count).toBe(16);
    }
    expect(r.slice(0, -1).every((s) => s.frames === r[0]!.frames && s.frames! % 50 === 0)).toBe(true);
    const last = r[r.length - 1]!;
    expect(last.frames).toBeUndefined();
    expect(15000 - last.startFrame).toBeGreaterThanOrEqual(50);
    // Contiguous: each range starts where the previous ended.
    for (let i = 1; i < r.length; i++) expect(r[i]!.startFrame).toBe(r[i - 1]!.startFrame + r[i - 1]!.frames!);
    expect(r[0]!.marginFrames).toBe(0);
    expect(r[1]!.marginFrames).toBe(25);
  });

  test('N from the target length; fractional frame rates; too short for two GOPs', () => {
    expect(segmentRanges(150, 25, DEFAULT_SEGMENT_POLICY)).toHaveLength(5);
    const ntsc = segmentRanges(130, 29.97, DEFAULT_SEGMENT_POLICY)!;
    expect(ntsc[0]!.gopFrames).toBe(60);
    expect(ntsc.every((s) => s.startFrame % 60 === 0)).toBe(true);
    expect(segmentRanges(3, 25, { ...DEFAULT_SEGMENT_POLICY, thresholdSec: 0 })).toBeUndefined();
  });

  test('policy from the environment; a bad value names its variable', () => {
    expect(segmentPolicyFromEnv({ CT_SEGMENT_THRESHOLD_SECONDS: '30', CT_SEGMENT_SECONDS: '10', CT_SEGMENT_MAX: '4' })).toMatchObject({
      thresholdSec: 30,
      targetSec: 10,
      maxSegments: 4,
    });
    expect(() => segmentPolicyFromEnv({ CT_SEGMENT_THRESHOLD_SECONDS: 'soon' })).toThrow(ConfigError);
    expect(() => segmentPolicyFromEnv({ CT_SEGMENT_MAX: '1' })).toThrow(/CT_SEGMENT_MAX/);
  });

  test('segmenting needs a live runner serving both segment types', () => {
    expect(canSegment(new Set(['ct-video-segment', 'ct-video-concat', 'ct-video-transcoding']))).toBe(true);
    expect(canSegment(new Set(['ct-video-segment', 'ct-video-transcoding']))).toBe(false);
  });
});

describe('splitting a VIDEO task', () => {
  test('N segment tasks and a concat task that keeps the uuid and waits for all of them', () => {
    const [video] = planned(300);
    const tasks = split(video!)!;
    expect(tasks).toHaveLength(11); // 300 s / 30 s target = 10 segments + concat
    const segments = tasks.slice(0, -1);
    const concat = tasks[tasks.length - 1]!;
    expect(segments.map((t) => t.type)).toEqual(Array(10).fill('ct-video-segment'));
    expect(concat).toMatchObject({ type: 'ct-video-concat', uuid: video!.uuid, state: TaskState.WAITING_FOR_PARENT_JOB });
    expect(concat.dependsOnAll).toEqual(segments.map((s) => s.uuid));
    expect(concat.placement).toEqual(video!.placement);
    expect(new Set(tasks.map((t) => t.uuid)).size).toBe(11);
    for (const [i, s] of segments.entries()) {
      expect(s).toMatchObject({ priority: video!.priority, outputIndex: 0, state: TaskState.PENDING, failures: 0 });
      expect(s.name).toBe(`output 0 VIDEO segment ${i + 1}/10`);
      expect(s.swf).toEqual({ activityId: s.uuid });
      expect(s.placement).toEqual({
        bucket: 'out-bucket',
        files: { 'payload[videoFile]': `out/v.mp4.ct-segments/${String(i).padStart(4, '0')}.mp4` },
        intermediate: true,
      });
      const p = s.payload as unknown as CtVideoSegmentPayload;
      expect(p.input.videoFileUrl).toBe(`/api/v1/runners/jobs/${s.uuid}/files/videos/uid-1/max-quality`);
      expect(p.output).toMatchObject({ muxer: 'mp4', fileName: `segment-${String(i).padStart(4, '0')}.mp4` });
      expect(p.output.encoding).toEqual((video!.payload as { output: { encoding: unknown } }).output.encoding);
      expect(p.output.segment.index).toBe(i);
    }
    const cp = concat.payload as unknown as CtVideoConcatPayload;
    expect(cp.input.hasAudio).toBe(true);
    expect(cp.input.segmentFileUrls[3]).toBe(`/api/v1/runners/jobs/${concat.uuid}/files/videos/uid-1/studio/task-files/segment-0003.mp4`);
    expect(concat.inputs.taskFiles!['segment-0003.mp4']).toEqual({ bucket: 'out-bucket', key: 'out/v.mp4.ct-segments/0003.mp4' });
    expect(cp.output.fileName).toBe('v.mp4');
  });

  test('kept whole: short source, a watermark, a container without a tested intermediate, other task types', () => {
    expect(split(planned(60)[0]!)).toBeUndefined();
    const wm = planned(300, [{ preset: '360p-16.9-generic', watermark: { input_bucket: 'b', input_file: 'w.png' } }])[0]!;
    expect(split(wm)).toBeUndefined();
    const webm = planned(300, [{ preset: '360p-16.9-generic', output_file: 'out/v.webm' }])[0]!;
    if (webm.type === 'ct-video-transcoding') expect(split(webm)).toBeUndefined();
    const thumb = planned(300, [{ output_type: 'THUMB', size: '160x90', output_file: 'out/t.jpg' }])[0]!;
    expect(split(thumb)).toBeUndefined();
  });
});

describe('the join dependency', () => {
  function status(): { s: TranscodeJobStatus; segments: TaskStatus[]; concat: TaskStatus } {
    const tasks = split(planned(200)[0]!)!;
    const s: TranscodeJobStatus = {
      phase: 'Running',
      tasks,
      outputs: [{ index: 0, type: 'VIDEO', status: 'Pending' }],
    };
    return { s, segments: tasks.slice(0, -1), concat: tasks[tasks.length - 1]! };
  }
  const result = { bucket: 'out-bucket', keys: ['k'] };

  test('the concat task becomes pending only when every segment completed', () => {
    const { s, segments, concat } = status();
    for (const seg of segments) acceptTask(s, seg.uuid, { name: 'r' }, 'h', NOW);
    for (const seg of segments.slice(0, -1)) {
      expect(completeTask(s, seg.uuid, result, NOW).ok).toBe(true);
      expect(concat.state).toBe(TaskState.WAITING_FOR_PARENT_JOB);
    }
    completeTask(s, segments[segments.length - 1]!.uuid, result, NOW);
    expect(concat.state).toBe(TaskState.PENDING);
  });

  test('level-based release: completions written concurrently (each saw the other unfinished) still release the join', () => {
    const { s, segments, concat } = status();
    for (const seg of segments) Object.assign(seg, { state: TaskState.COMPLETED });
    expect(concat.state).toBe(TaskState.WAITING_FOR_PARENT_JOB);
    expect(releaseWaiting(s, NOW)).toEqual([concat]);
    expect(concat.state).toBe(TaskState.PENDING);
  });

  test('a failed segment is retried alone; one that fails for good fails the output and cancels the rest', () => {
    const { s, segments, concat } = status();
    const [a, b] = segments;
    acceptTask(s, a!.uuid, { name: 'r1' }, 'h1', NOW);
    acceptTask(s, b!.uuid, { name: 'r2' }, 'h2', NOW);
    errorTask(s, a!.uuid, 'ffmpeg died', NOW);
    expect([a!.state, a!.failures, b!.state, concat.state]).toEqual([
      TaskState.PENDING,
      1,
      TaskState.PROCESSING,
      TaskState.WAITING_FOR_PARENT_JOB,
    ]);
    acceptTask(s, a!.uuid, { name: 'r1' }, 'h1', NOW);
    errorTask(s, a!.uuid, 'ffmpeg died', NOW, 1);
    expect(concat.state).toBe(TaskState.PARENT_ERRORED); // a parent errored: the join cannot run
    updateOutputs(job([{}]), s, NOW);
    expect(s.outputs![0]!.status).toBe('Failed');
    expect(b!.state).toBe(TaskState.CANCELLED);
  });

  test('cancel mid-fan-out: every segment and the join end cancelled', () => {
    const { s, segments, concat } = status();
    acceptTask(s, segments[0]!.uuid, { name: 'r1' }, 'h1', NOW);
    completeTask(s, segments[1]!.uuid, result, NOW); // not processing: refused, stays pending
    const j = job([{}]);
    j.spec.cancel = true;
    applyCancellation(j, s, NOW);
    for (const t of segments) expect(t.state).toBe(TaskState.CANCELLED);
    expect(concat.state).toBe(TaskState.PARENT_CANCELLED); // cancelled with its parents
    expect(cancelTask(s, concat.uuid, NOW).ok).toBe(false);
  });
});
