// What the processors need to know about an input, from ffprobe (through fluent-ffmpeg).
import ffmpeg, { type FfprobeData } from 'fluent-ffmpeg';
import { ffNumber, frameRate, mainStreams } from '../lib/media/ffprobe.js';

export interface MediaInfo {
  durationSec: number | undefined;
  hasVideo: boolean;
  hasAudio: boolean;
  width?: number;
  height?: number;
  fps?: number;
}

function positive(v: unknown): number | undefined {
  const n = ffNumber(v);
  return n === undefined || n <= 0 ? undefined : n;
}

export async function probeMedia(file: string): Promise<MediaInfo> {
  const data = await new Promise<FfprobeData>((resolve, reject) =>
    ffmpeg.ffprobe(file, (err: Error | null, d: FfprobeData) =>
      err ? reject(new Error(`cannot read input ${file}: ${err.message}`, { cause: err })) : resolve(d),
    ),
  );
  const { video: v, audio: a } = mainStreams(data);
  return {
    durationSec: positive(data.format.duration) ?? positive(v?.duration) ?? positive(a?.duration),
    hasVideo: v !== undefined,
    hasAudio: a !== undefined,
    ...(v?.width ? { width: v.width } : {}),
    ...(v?.height ? { height: v.height } : {}),
    ...(v ? { fps: frameRate(v.avg_frame_rate) ?? frameRate(v.r_frame_rate) } : {}),
  };
}
