// ct-video-concat: the last task of a segment-parallel VIDEO encode (docs/segment-encoding.md). The
// encoded segments are joined by the concat demuxer and stream-copied (no re-encode: every segment
// has the same codec parameters and starts with a key frame), and the input's audio is encoded
// once, whole, beside them: no gap or priming delay at any boundary, sync as in a whole-file encode.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CtVideoConcatPayload, type CtEncoding } from '../../lib/peertube/job-types.js';
import { validator } from '../../lib/validate.js';
import { newCommand } from '../ffmpeg.js';
import { addInput, addOutputOptions, assertOutput, isMp4Family, muxerFor, safeFileName } from './common.js';
import type { Processor } from './types.js';

/**
 * The concat demuxer's list: one `file` line per segment, in order, each but the last with its exact
 * duration (frames / fps, to the microsecond: ffmpeg's time base) so every segment starts exactly
 * where the whole-file encode has that frame.
 */
export function concatList(files: string[], frames: number[], fps: number): string {
  if (frames.length !== files.length - 1) throw new Error(`${files.length} segments but ${frames.length} segment frame counts`);
  return files
    .map((f, i) => {
      const line = `file '${f.replace(/'/g, "'\\''")}'`;
      return frames[i] !== undefined ? `${line}\nduration ${(frames[i]! / fps).toFixed(6)}` : line;
    })
    .join('\n')
    .concat('\n');
}

/** Output options: input 0 the segment list, input 1 the source (its audio) when it has audio. */
export function concatOutputOptions(e: CtEncoding, hasAudio: boolean): string[] {
  const o = ['-map', '0:v:0', '-c:v', 'copy'];
  if (hasAudio) o.push('-map', '1:a:0?', '-c:a', e.audioCodec, '-b:a', e.audioBitrate);
  else o.push('-an');
  const muxer = muxerFor(e.container);
  if (isMp4Family(muxer)) o.push('-movflags', '+faststart');
  o.push('-f', muxer);
  return o;
}

export const ctVideoConcatProcessor: Processor<CtVideoConcatPayload> = {
  type: 'ct-video-concat',
  payload: validator(CtVideoConcatPayload, 'ct-video-concat payload'),
  async process(ctx, p) {
    const e = p.output.encoding;
    const fileName = safeFileName(p.output.fileName, 'output fileName');
    const segments = await Promise.all(p.input.segmentFileUrls.map((url, i) => ctx.download(url, `segment-${String(i).padStart(4, '0')}`)));
    const list = join(ctx.dir, 'segments.txt');
    writeFileSync(list, concatList(segments, p.input.segmentFrames, e.fps));
    const source = p.input.hasAudio ? await ctx.openInput(p.input.videoFileUrl, 'input') : undefined;

    const output = join(ctx.dir, fileName);
    const cmd = newCommand(ctx.settings);
    addInput(cmd, `file:${list}`, ['-f', 'concat', '-safe', '0']);
    if (source) addInput(cmd, source.url, source.options);
    addOutputOptions(cmd, concatOutputOptions(e, source !== undefined));
    cmd.output(output);
    await ctx.ffmpeg(cmd, 'concat', p.input.media?.durationSec);
    await source?.complete;
    assertOutput(output, 'concat');
    return { files: [{ field: 'payload[videoFile]', path: output, filename: fileName }] };
  },
};
