// ct-video-transcoding: a CT VIDEO output with its resolved encoding honoured exactly (-s, -r, -b:v,
// -b:a, codecs, -profile:v, -level, -refs, container) and the optional CT watermark.
import { join } from 'node:path';
import type { Static } from '@sinclair/typebox';
import { CtVideoPayload, type CtEncoding, type CtWatermark } from '../../lib/peertube/job-types.js';
import { validator } from '../../lib/validate.js';
import { newCommand } from '../ffmpeg.js';
import { inputInfo } from '../input.js';
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

/** ffmpeg output options for a resolved CT encoding (input 0 the video, input 1 the watermark image if any). */
export function ctVideoOutputOptions(e: CtEncoding, hasAudio: boolean, watermark: Static<typeof CtWatermark> | undefined): string[] {
  const o: string[] = watermark
    ? ['-filter_complex', watermarkGraph(e.width, e.height, e.fps, watermark), '-map', '[vout]']
    : ['-map', '0:v:0', '-vf', `scale=${e.width}:${e.height}${fpsFilter(e.fps)}`];
  if (hasAudio) o.push('-map', '0:a:0?');
  o.push('-s', `${e.width}x${e.height}`, '-r', String(e.fps), '-c:v', e.videoCodec, '-b:v', e.videoBitrate);
  if (e.profile) o.push('-profile:v', e.profile);
  if (e.level) o.push('-level', e.level);
  if (e.maxReferenceFrames !== undefined) o.push('-refs', String(e.maxReferenceFrames));
  // H.264 profiles below High 4:4:4 need 4:2:0; players expect it too.
  if (/264/.test(e.videoCodec)) o.push('-pix_fmt', 'yuv420p');
  if (hasAudio) o.push('-c:a', e.audioCodec, '-b:a', e.audioBitrate);
  else o.push('-an');
  return o;
}

/** Audio codecs whose mp4 samples are frames of ≥ 960 samples (≤ 100 per second up to 96 kHz). */
const FRAMED_AUDIO = /^(aac|libfdk_aac|mp3|libmp3lame|opus|libopus|ac3|eac3)$/;

/**
 * Bytes to reserve for the moov box so ffmpeg writes it at the front in one pass (-moov_size), or
 * undefined when its size cannot be bounded. Per sample at most 32 bytes (stsz 4, ctts 8, stco 8,
 * stss 4, stts 8; real files use about 12); the duration gets a 10 % + 2 s margin.
 */
export function moovReserve(durationSec: number | undefined, fps: number, audioCodec: string | undefined): number | undefined {
  if (!durationSec || !(fps > 0) || (audioCodec !== undefined && !FRAMED_AUDIO.test(audioCodec))) return undefined;
  const seconds = durationSec * 1.1 + 2;
  const samples = seconds * fps + (audioCodec !== undefined ? seconds * 100 : 0);
  return Math.ceil(samples * 32 + 64 * 1024);
}

/** Beyond the reserved moov: ftyp before it and the mdat header after it, both rewritten or written late. */
const HEAD_SLACK = 64 * 1024;

export const ctVideoProcessor: Processor<CtVideoPayload> = {
  type: 'ct-video-transcoding',
  payload: validator(CtVideoPayload, 'ct-video-transcoding payload'),
  async process(ctx, p) {
    const e = p.output.encoding;
    const fileName = safeFileName(p.output.fileName, 'output fileName');
    const wmFile = p.output.watermark ? await ctx.download(p.output.watermark.fileUrl, 'watermark') : undefined;
    const input = await ctx.openInput(p.input.videoFileUrl, 'input');
    const info = await inputInfo(input, p.input.media);
    if (!info.hasVideo) throw new Error('the input has no video stream');
    const output = join(ctx.dir, fileName);
    const muxer = muxerFor(e.container);
    const reserve = isMp4Family(muxer) ? moovReserve(info.durationSec, e.fps, p.input.hasAudio ? e.audioCodec : undefined) : undefined;

    const cmd = newCommand(ctx.settings);
    addInput(cmd, input.url, input.options);
    if (wmFile) addInput(cmd, wmFile);
    addOutputOptions(cmd, ctVideoOutputOptions(e, p.input.hasAudio, wmFile ? p.output.watermark : undefined));
    // moov first (progressive playback): in the space reserved for it when its size can be bounded
    // (one pass), else by the +faststart rewrite (a second pass over the output).
    if (reserve !== undefined) addOutputOptions(cmd, ['-moov_size', String(reserve)]);
    else if (isMp4Family(muxer)) addOutputOptions(cmd, ['-movflags', '+faststart']);
    addOutputOptions(cmd, ['-f', muxer]);
    cmd.output(output);
    const done = ctx.ffmpeg(cmd, 'ct video', info.durationSec).then(async () => {
      await input.complete;
      assertOutput(output, 'ct video');
    });
    const file = { field: 'payload[videoFile]' as const, path: output, filename: fileName };
    if (reserve === undefined) {
      await done;
      return { files: [file] };
    }
    // The upload observes `done`; this handler only keeps a failure before the upload starts from going unhandled.
    done.catch(() => undefined);
    // Returned while ffmpeg runs: everything after the reserved header is uploaded as it is written,
    // the header (ftyp, the moov ffmpeg fills in at the end, the mdat size) last (runner/part-upload.ts).
    return { files: [{ ...file, ready: done, headBytes: reserve + HEAD_SLACK }] };
  },
};
