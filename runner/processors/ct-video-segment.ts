// ct-video-segment: one frame range of a segment-parallel VIDEO encode (docs/segment-encoding.md).
// Frame-exact by construction: the range is counted in output frames; the input is seeked
// accurately (ffmpeg decodes from the key frame before and drops what precedes the seek point) to
// `marginFrames` before the range, with its timestamps kept (-copyts -start_at_zero: shifted to
// zero exactly as a whole-file encode shifts them, not by the seek), so the frame-rate conversion
// computes the very grid of the whole-file encode and sees the same source frames around the cut;
// the range is then cut from that grid by frame index. Fixed GOP from the first frame, no audio
// (the concat task encodes the audio once, whole).
import { join } from 'node:path';
import ffmpeg, { type FfprobeData } from 'fluent-ffmpeg';
import { CtVideoSegmentPayload, type CtEncoding, type CtSegmentRange } from '../../lib/peertube/job-types.js';
import { validator } from '../../lib/validate.js';
import { newCommand } from '../ffmpeg.js';
import { addInput, addOutputOptions, assertOutput, safeFileName } from './common.js';
import type { Processor } from './types.js';

/** Where decoding starts: `marginFrames` output frames before the range (seconds, to the microsecond). */
export function segmentSeek(s: CtSegmentRange, fps: number): string | undefined {
  const from = s.startFrame - Math.min(s.marginFrames, s.startFrame);
  return from > 0 ? (from / fps).toFixed(6) : undefined;
}

/** Input options: source timestamps kept (shifted to start at zero, as a whole-file encode does), the seek. */
export function segmentInputOptions(s: CtSegmentRange, fps: number): string[] {
  const seek = segmentSeek(s, fps);
  return ['-copyts', '-start_at_zero', ...(seek !== undefined ? ['-ss', seek] : [])];
}

/**
 * The video filter of one segment: scale and frame-rate conversion exactly as the whole-file encode
 * (its output time base is 1/fps: a frame's pts is its index on the whole file's grid, because the
 * input timestamps are not shifted by the seek), then the range [startFrame, startFrame + frames)
 * of that grid, restarted at zero.
 */
export function segmentFilter(e: CtEncoding, s: CtSegmentRange): string {
  const bounds = [
    ...(s.startFrame > 0 ? [`start_pts=${s.startFrame}`] : []),
    ...(s.frames !== undefined ? [`end_pts=${s.startFrame + s.frames}`] : []),
  ];
  const trim = bounds.length ? `,trim=${bounds.join(':')},setpts=PTS-STARTPTS` : '';
  return `scale=${e.width}:${e.height},fps=${e.fps}${trim}`;
}

/** Output options of one segment (input 0 the source): the whole-file encoding's video settings, fixed GOP, no audio. */
export function segmentOutputOptions(e: CtEncoding, s: CtSegmentRange): string[] {
  const o = ['-map', '0:v:0', '-vf', segmentFilter(e, s)];
  o.push('-s', `${e.width}x${e.height}`, '-r', String(e.fps), '-c:v', e.videoCodec, '-b:v', e.videoBitrate);
  if (e.profile) o.push('-profile:v', e.profile);
  if (e.level) o.push('-level', e.level);
  if (e.maxReferenceFrames !== undefined) o.push('-refs', String(e.maxReferenceFrames));
  if (/264/.test(e.videoCodec)) o.push('-pix_fmt', 'yuv420p');
  // Every segment is whole GOPs of the same length from its first frame, so the joined stream has a
  // key frame exactly every gopFrames frames, at every boundary included.
  const g = String(s.gopFrames);
  o.push('-g', g, '-keyint_min', g, '-sc_threshold', '0', '-force_key_frames', '0', '-an', '-sn', '-dn');
  return o;
}

/** Video packets in a file (counted by reading it: Matroska has no frame count in its header). */
export async function countVideoFrames(file: string): Promise<number> {
  const data = await new Promise<FfprobeData>((resolve, reject) =>
    ffmpeg.ffprobe(file, ['-count_packets', '-select_streams', 'v:0'], (err: Error | null, d: FfprobeData) =>
      err ? reject(new Error(`cannot read ${file}: ${err.message}`, { cause: err })) : resolve(d),
    ),
  );
  const v = data.streams.find((st) => st.codec_type === 'video');
  return Number((v as { nb_read_packets?: unknown } | undefined)?.nb_read_packets ?? 0);
}

export const ctVideoSegmentProcessor: Processor<CtVideoSegmentPayload> = {
  type: 'ct-video-segment',
  payload: validator(CtVideoSegmentPayload, 'ct-video-segment payload'),
  async process(ctx, p) {
    const e = p.output.encoding;
    const s = p.output.segment;
    const fileName = safeFileName(p.output.fileName, 'output fileName');
    // Seeking needs the whole file (the index may be anywhere): no reading while it downloads.
    const input = await ctx.openInput(p.input.videoFileUrl, 'input');
    await input.complete;
    const output = join(ctx.dir, fileName);
    const cmd = newCommand(ctx.settings);
    addInput(cmd, `file:${input.path}`, segmentInputOptions(s, e.fps));
    addOutputOptions(cmd, [...segmentOutputOptions(e, s), '-f', p.output.muxer]);
    cmd.output(output);
    const media = p.input.media;
    const totalSec = s.frames !== undefined ? s.frames / e.fps : media ? Math.max(1, media.durationSec - s.startFrame / e.fps) : undefined;
    await ctx.ffmpeg(cmd, `segment ${s.index + 1}/${s.count}`, totalSec);
    assertOutput(output, `segment ${s.index + 1}/${s.count}`);
    // A short range would shift every later frame of the joined output: never let it through. (The
    // first may be shorter: a video stream starting after the container's start has no frames there.)
    if (s.frames !== undefined && s.index > 0) {
      const made = await countVideoFrames(output);
      if (made !== s.frames) throw new Error(`segment ${s.index + 1}/${s.count}: ${made} frames made, ${s.frames} expected`);
    }
    return { files: [{ field: 'payload[videoFile]', path: output, filename: fileName }] };
  },
};
