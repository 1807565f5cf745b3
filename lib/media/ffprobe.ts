// Reading ffprobe output (fluent-ffmpeg's FfprobeData), shared by the operator's S3 probe
// (lib/media/probe.ts) and the runner (runner/probe.ts), so both see the same streams and numbers.
import type { FfprobeData, FfprobeStream } from 'fluent-ffmpeg';

/** The first video stream that is not an attached picture (cover art is not a video track), and the first audio stream. */
export function mainStreams(data: FfprobeData): { video: FfprobeStream | undefined; audio: FfprobeStream | undefined } {
  const video = data.streams.find(
    (s) => s.codec_type === 'video' && !(s.disposition as { attached_pic?: number } | undefined)?.attached_pic,
  );
  return { video, audio: data.streams.find((s) => s.codec_type === 'audio') };
}

/** An ffprobe number field ("N/A", "" and absent → undefined). */
export function ffNumber(v: unknown): number | undefined {
  if (v === undefined || v === null || v === 'N/A' || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** A frame rate such as "30000/1001" or "25" → frames per second; undefined when absent or not positive. */
export function frameRate(r: string | undefined): number | undefined {
  if (!r) return undefined;
  const [n, d] = r.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n) || n <= 0) return undefined;
  const v = d ? n / d : n;
  return Number.isFinite(v) ? v : undefined;
}
