// ct-video-transcoding: a CT VIDEO output with its resolved encoding honoured exactly (-s, -r, -b:v,
// -b:a, codecs, -profile:v, -level, -refs, container) and the optional CT watermark.
import { join } from 'node:path';
import type { Static } from '@sinclair/typebox';
import { CtVideoPayload, type CtWatermark } from '../../lib/peertube/job-types.js';
import { validator } from '../../lib/validate.js';
import { newCommand } from '../ffmpeg.js';
import { probeMedia } from '../probe.js';
import { addInput, addOutputOptions, assertOutput, fpsFilter, isMp4Family, muxerFor, safeFileName } from './common.js';
import type { Processor } from './types.js';

/** Overlay position: x/y >= 0 count from the left/top, < 0 from the right/bottom (CT semantics). */
export function overlayPosition(x: number, y: number): string {
  const px = x >= 0 ? String(x) : `main_w-overlay_w-${-x}`;
  const py = y >= 0 ? String(y) : `main_h-overlay_h-${-y}`;
  return `x=${px}:y=${py}`;
}

/**
 * The watermark is laid over the frame already scaled to the output size, so its pixel size and
 * offsets mean output pixels. Alpha is multiplied by the opacity (what CT did with ImageMagick).
 */
export function watermarkGraph(width: number, height: number, fps: number, wm: Static<typeof CtWatermark>): string {
  const scale = wm.width || wm.height ? `scale=${wm.width ?? -1}:${wm.height ?? -1},` : '';
  return (
    `[0:v]scale=${width}:${height}${fpsFilter(fps)}[base];` +
    `[1:v]${scale}format=rgba,colorchannelmixer=aa=${wm.opacity}[wm];` +
    `[base][wm]overlay=${overlayPosition(wm.x, wm.y)}:format=auto[vout]`
  );
}

export const ctVideoProcessor: Processor<CtVideoPayload> = {
  type: 'ct-video-transcoding',
  payload: validator(CtVideoPayload, 'ct-video-transcoding payload'),
  async process(ctx, p) {
    const e = p.output.encoding;
    const fileName = safeFileName(p.output.fileName, 'output fileName');
    const input = await ctx.download(p.input.videoFileUrl, 'input');
    const wmFile = p.output.watermark ? await ctx.download(p.output.watermark.fileUrl, 'watermark') : undefined;
    const info = await probeMedia(input);
    if (!info.hasVideo) throw new Error('the input has no video stream');
    const output = join(ctx.dir, fileName);
    const muxer = muxerFor(e.container);

    const cmd = newCommand(ctx.settings);
    addInput(cmd, input);
    if (wmFile && p.output.watermark) {
      addInput(cmd, wmFile);
      addOutputOptions(cmd, ['-filter_complex', watermarkGraph(e.width, e.height, e.fps, p.output.watermark), '-map', '[vout]']);
      if (p.input.hasAudio) addOutputOptions(cmd, ['-map', '0:a:0?']);
    } else {
      addOutputOptions(cmd, ['-map', '0:v:0', '-vf', `scale=${e.width}:${e.height}${fpsFilter(e.fps)}`]);
      if (p.input.hasAudio) addOutputOptions(cmd, ['-map', '0:a:0?']);
    }
    addOutputOptions(cmd, ['-s', `${e.width}x${e.height}`, '-r', String(e.fps), '-c:v', e.videoCodec, '-b:v', e.videoBitrate]);
    if (e.profile) addOutputOptions(cmd, ['-profile:v', e.profile]);
    if (e.level) addOutputOptions(cmd, ['-level', e.level]);
    if (e.maxReferenceFrames !== undefined) addOutputOptions(cmd, ['-refs', String(e.maxReferenceFrames)]);
    // H.264 profiles below High 4:4:4 need 4:2:0; players expect it too.
    if (/264/.test(e.videoCodec)) addOutputOptions(cmd, ['-pix_fmt', 'yuv420p']);
    if (p.input.hasAudio) addOutputOptions(cmd, ['-c:a', e.audioCodec, '-b:a', e.audioBitrate]);
    else addOutputOptions(cmd, ['-an']);
    if (isMp4Family(muxer)) addOutputOptions(cmd, ['-movflags', '+faststart']);
    addOutputOptions(cmd, ['-f', muxer]);
    cmd.output(output);
    await ctx.ffmpeg(cmd, 'ct video', info.durationSec);
    assertOutput(output, 'ct video');
    return { files: [{ field: 'payload[videoFile]', path: output, filename: fileName }] };
  },
};
