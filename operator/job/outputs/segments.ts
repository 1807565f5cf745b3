// Segment-parallel VIDEO encoding, the pure part (docs/segment-encoding.md): whether a source is
// split, and into which frame ranges. Ranges are counted in frames of the output (its constant
// frame rate), are whole fixed-length GOPs, and the last one runs to the end of the input, so the
// joined segments are exactly the frames of a whole-file encode with a key frame at each boundary.
import { duration, int, type Env } from '../../../lib/config/env.js';
import type { CtSegmentRange } from '../../../lib/peertube/job-types.js';

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
