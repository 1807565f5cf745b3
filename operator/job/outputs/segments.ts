// Segment-parallel VIDEO encoding, the pure part (docs/segment-encoding.md): whether a source is
// split, and into which frame ranges. Ranges are counted in frames of the output (its constant
// frame rate), are whole fixed-length GOPs, and the last one runs to the end of the input, so the
// joined segments are exactly the frames of a whole-file encode with a key frame at each boundary.
import { duration, int, type Env } from '../../../lib/config/env.js';
import type { CtSegmentRange, CtVideoConcatPayload, CtVideoPayload, CtVideoSegmentPayload } from '../../../lib/peertube/job-types.js';
import { TaskState, type TaskStatus } from '../../../lib/schema/transcode-job.js';
import { inputPath, taskFilePath } from './keys.js';

export interface SegmentPolicy {
  /** Sources longer than this (seconds) are split; shorter ones are encoded whole. */
  thresholdSec: number;
  /** Target length of one segment (seconds). */
  targetSec: number;
  /** Most segments of one output (the fan-out per job). */
  maxSegments: number;
  /** Fixed GOP length of segmented encodes (seconds). */
  gopSec: number;
  /** How far before its first frame a segment starts decoding (seconds): covers the frame-rate conversion's look-back. */
  marginSec: number;
}

export const DEFAULT_SEGMENT_POLICY: SegmentPolicy = { thresholdSec: 120, targetSec: 30, maxSegments: 16, gopSec: 2, marginSec: 1 };

export function segmentPolicyFromEnv(env: Env = process.env): SegmentPolicy {
  const d = DEFAULT_SEGMENT_POLICY;
  return {
    thresholdSec: duration(env, 'CT_SEGMENT_THRESHOLD_SECONDS', d.thresholdSec, { unit: 's', min: 0, max: 604800 }) / 1000,
    targetSec: duration(env, 'CT_SEGMENT_SECONDS', d.targetSec, { unit: 's', min: 1, max: 86400 }) / 1000,
    maxSegments: int(env, 'CT_SEGMENT_MAX', d.maxSegments, 2, 256),
    gopSec: d.gopSec,
    marginSec: d.marginSec,
  };
}

/**
 * The frame ranges of a source of `durationSec` encoded at `fps`, or undefined when it is encoded
 * whole (not longer than the threshold, or too short for two GOP-aligned segments). Boundaries are
 * multiples of the GOP; the last range has at least one GOP by the duration estimate and no frame
 * limit, so a duration slightly off (container vs stream) never loses or invents frames.
 */
export function segmentRanges(durationSec: number, fps: number, policy: SegmentPolicy): CtSegmentRange[] | undefined {
  if (!(durationSec > policy.thresholdSec) || !(fps > 0)) return undefined;
  const totalFrames = Math.floor(durationSec * fps + 1e-6);
  const gopFrames = Math.max(1, Math.round(policy.gopSec * fps));
  const gops = Math.floor(totalFrames / gopFrames);
  const wanted = Math.min(policy.maxSegments, Math.ceil(durationSec / policy.targetSec));
  if (wanted < 2 || gops < 2) return undefined;
  const gopsPerSegment = Math.ceil(gops / wanted);
  const count = Math.ceil(gops / gopsPerSegment);
  if (count < 2) return undefined;
  const length = gopsPerSegment * gopFrames;
  const margin = Math.max(1, Math.ceil(policy.marginSec * fps));
  return Array.from({ length: count }, (_, index) => {
    const startFrame = index * length;
    return {
      index,
      count,
      startFrame,
      ...(index < count - 1 ? { frames: length } : {}),
      marginFrames: Math.min(margin, startFrame),
      gopFrames,
    };
  });
}

/** Where the api-server keeps segment `index` of the output at `outputKey` until the concat task joined them. */
export function segmentKey(outputKey: string, index: number, ext: string): string {
  return `${outputKey}.ct-segments/${String(index).padStart(4, '0')}.${ext}`;
}

/** The intermediate container of the segments: mp4 for mp4-family outputs, Matroska for the others. */
export function segmentContainer(container: string): { muxer: 'mp4' | 'matroska'; ext: 'mp4' | 'mkv' } | undefined {
  const c = container.toLowerCase().replace(/^\./, '');
  if (['mp4', 'm4v', 'mov'].includes(c)) return { muxer: 'mp4', ext: 'mp4' };
  if (['mkv', 'matroska'].includes(c)) return { muxer: 'matroska', ext: 'mkv' };
  return undefined; // other containers (webm, ts, ...) are encoded whole
}

export interface SplitContext {
  /** The job's video uuid (input URLs name it). */
  videoUuid: string;
  policy: SegmentPolicy;
  newUuid: () => string;
  now: string;
}

const VIDEO_FIELD = 'payload[videoFile]';

/**
 * A pending whole-file ct-video-transcoding task (its payload carries the probed duration) split into N ct-video-segment tasks and one
 * ct-video-concat task waiting for all of them (it keeps the task's uuid, so it is the output's last
 * word), or undefined when the task is encoded whole: short source, a watermark (kept whole for
 * now), a container without a tested intermediate, or too few GOPs. Every new task inherits the
 * original's output, priority and clock; the segments are stored under the output key
 * (`<key>.ct-segments/`) as intermediate results the concat task downloads and finalization deletes.
 */
export function splitVideoTask(task: TaskStatus, c: SplitContext): TaskStatus[] | undefined {
  if (task.type !== 'ct-video-transcoding' || task.state !== TaskState.PENDING) return undefined;
  const p = task.payload as unknown as CtVideoPayload;
  const e = p.output?.encoding;
  const outputKey = task.placement.files?.[VIDEO_FIELD];
  if (!e || p.output.watermark || !outputKey || !task.inputs.video) return undefined;
  const container = segmentContainer(e.container);
  const durationSec = p.input.media?.durationSec;
  const ranges = container && durationSec !== undefined ? segmentRanges(durationSec, e.fps, c.policy) : undefined;
  if (!container || !ranges) return undefined;
  const { files: _files, rewrites: _rewrites, ...base } = task.placement;
  const segments = ranges.map((segment): TaskStatus => {
    const uuid = c.newUuid();
    const fileName = `segment-${String(segment.index).padStart(4, '0')}.${container.ext}`;
    const payload: CtVideoSegmentPayload = {
      input: { videoFileUrl: inputPath(uuid, c.videoUuid, 'max-quality'), ...(p.input.media ? { media: p.input.media } : {}) },
      output: { encoding: e, segment, muxer: container.muxer, fileName },
    };
    return {
      ...task,
      uuid,
      type: 'ct-video-segment',
      name: `${task.name} segment ${segment.index + 1}/${segment.count}`,
      payload: payload as unknown as Record<string, unknown>,
      inputs: { video: task.inputs.video! },
      placement: { ...base, files: { [VIDEO_FIELD]: segmentKey(outputKey, segment.index, container.ext) }, intermediate: true },
      createdAt: c.now,
      updatedAt: c.now,
      swf: { activityId: uuid },
    };
  });
  const names = segments.map((s) => (s.payload as unknown as CtVideoSegmentPayload).output.fileName);
  const concat: CtVideoConcatPayload = {
    input: {
      videoFileUrl: inputPath(task.uuid, c.videoUuid, 'max-quality'),
      hasAudio: p.input.hasAudio,
      ...(p.input.media ? { media: p.input.media } : {}),
      segmentFileUrls: names.map((n) => taskFilePath(task.uuid, c.videoUuid, n)),
      segmentFrames: ranges.flatMap((r) => (r.frames !== undefined ? [r.frames] : [])),
    },
    output: { encoding: e, fileName: p.output.fileName },
  };
  const taskFiles = Object.fromEntries(
    segments.map((s, i) => [names[i]!, { bucket: s.placement.bucket, key: s.placement.files![VIDEO_FIELD]! }]),
  );
  const join: TaskStatus = {
    ...task,
    type: 'ct-video-concat',
    name: `${task.name} concat`,
    state: TaskState.WAITING_FOR_PARENT_JOB,
    dependsOnAll: segments.map((s) => s.uuid),
    payload: concat as unknown as Record<string, unknown>,
    inputs: { video: task.inputs.video!, taskFiles },
    updatedAt: c.now,
  };
  return [...segments, join];
}

/** The intermediate files of an output's tasks (segments), to delete once the output is made. */
export function intermediateKeys(tasks: readonly TaskStatus[]): { bucket: string; key: string }[] {
  return tasks
    .filter((t) => t.placement.intermediate)
    .flatMap((t) => Object.values(t.placement.files ?? {}).map((key) => ({ bucket: t.result?.bucket ?? t.placement.bucket, key })));
}
