// What the processors need to know about an input, from ffprobe (through fluent-ffmpeg).
import ffmpeg, { type FfprobeData } from 'fluent-ffmpeg';

export interface MediaInfo {
  durationSec: number | undefined;
  hasVideo: boolean;
  hasAudio: boolean;
  width?: number;
  height?: number;
  fps?: number;
}

function fraction(r: string | undefined): number | undefined {
  if (!r) return undefined;
  const [n, d] = r.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n) || n <= 0) return undefined;
  return d ? n / d : n;
}

function positive(v: unknown): number | undefined {
  const n = Number(v);
  return v === undefined || !Number.isFinite(n) || n <= 0 ? undefined : n;
}

export async function probeMedia(file: string): Promise<MediaInfo> {
  const data = await new Promise<FfprobeData>((resolve, reject) =>
    ffmpeg.ffprobe(file, (err: Error | null, d: FfprobeData) =>
      err ? reject(new Error(`cannot read input ${file}: ${err.message}`, { cause: err })) : resolve(d),
    ),
  );
  // Attached pictures (cover art) are not a video track.
  const v = data.streams.find((s) => s.codec_type === 'video' && !(s.disposition?.attached_pic === 1));
  const a = data.streams.find((s) => s.codec_type === 'audio');
  return {
    durationSec: positive(data.format.duration) ?? positive(v?.duration) ?? positive(a?.duration),
    hasVideo: v !== undefined,
    hasAudio: a !== undefined,
    ...(v?.width ? { width: v.width } : {}),
    ...(v?.height ? { height: v.height } : {}),
    ...(v ? { fps: fraction(v.avg_frame_rate) ?? fraction(v.r_frame_rate) } : {}),
  };
}
