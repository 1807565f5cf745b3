// ct-video-segment: one time range of a segment-parallel VIDEO encode (docs/segment-encoding.md).
// Frame-exact by construction: the cut is expressed in output frames, the input is seeked
// (accurately: ffmpeg decodes from the key frame before and drops what precedes the seek point) to
// `marginFrames` output frames before the first frame of the range, the frame-rate conversion runs
// on a grid aligned with the whole-file encode's (the seek point is a multiple of 1/fps), and the
// margin is trimmed off after it. The range is then exactly the frames the whole-file encode makes
// for it. Fixed GOP from the first frame, no audio (the concat task encodes the audio once, whole).
import { join } from 'node:path';
import ffmpeg, { type FfprobeData } from 'fluent-ffmpeg';
import { CtVideoSegmentPayload, type CtEncoding, type CtSegmentRange } from '../../lib/peertube/job-types.js';
import { validator } from '../../lib/validate.js';
import { newCommand } from '../ffmpeg.js';
import { addInput, addOutputOptions, assertOutput, safeFileName } from './common.js';
import type { Processor } from './types.js';

/** Seconds as ffmpeg parses them, exact to the microsecond (ffmpeg's own time base). */
function secondsArg(frames: number, fps: number): string {
  return (frames / fps).toFixed(6);
}

/** Where decoding starts (seconds) and how many output frames to drop first. */
export function segmentSeek(s: CtSegmentRange, fps: number): { seekSec: string | undefined; trimFrames: number } {
  const margin = Math.min(s.marginFrames, s.startFrame);
  const from = s.startFrame - margin;
  return { seekSec: from > 0 ? secondsArg(from, fps) : undefined, trimFrames: margin };
}

/** The video filter of one segment: scale, frame rate on the whole file's grid, margin trimmed. */
export function segmentFilter(e: CtEncoding, s: CtSegmentRange): string {
  const { trimFrames } = segmentSeek(s, e.fps);
  const trim = trimFrames > 0 ? `,trim=start_frame=${trimFrames},setpts=PTS-STARTPTS` : '';
  return `scale=${e.width}:${e.height},fps=${e.fps}:start_time=0${trim}`;
}

/** Output options of one segment (input 0 the source): the whole-file encoding's video settings, fixed GOP, no audio. */
export function segmentOutputOptions(e: CtEncoding, s: CtSegmentRange): string[] {
  const o = ['-map', '0:v:0', '-vf', segmentFilter(e, s)];
  if (s.frames !== undefined) o.push('-frames:v', String(s.frames));
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
    const { seekSec } = segmentSeek(s, e.fps);
    const output = join(ctx.dir, fileName);
    const cmd = newCommand(ctx.settings);
    addInput(cmd, `file:${input.path}`, seekSec !== undefined ? ['-ss', seekSec] : []);
    addOutputOptions(cmd, [...segmentOutputOptions(e, s), '-f', p.output.muxer]);
    cmd.output(output);
    const media = p.input.media;
    const totalSec = s.frames !== undefined ? s.frames / e.fps : media ? Math.max(1, media.durationSec - s.startFrame / e.fps) : undefined;
    await ctx.ffmpeg(cmd, `segment ${s.index + 1}/${s.count}`, totalSec);
    assertOutput(output, `segment ${s.index + 1}/${s.count}`);
    // A short range would shift every later frame of the joined output: never let it through.
    if (s.frames !== undefined) {
      const made = await countVideoFrames(output);
      if (made !== s.frames) throw new Error(`segment ${s.index + 1}/${s.count}: ${made} frames made, ${s.frames} expected`);
    }
    return { files: [{ field: 'payload[videoFile]', path: output, filename: fileName }] };
  },
};
