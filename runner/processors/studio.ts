// video-studio-transcoding: cut, add-intro, add-outro and add-watermark tasks applied in order,
// each step re-encoding into the next intermediate file (docs/peertube-runner-protocol.md, PeerTube FFmpegEdition).
import { join } from 'node:path';
import { StudioPayload, type StudioTask } from '../../lib/peertube/job-types.js';
import { validator } from '../../lib/validate.js';
import { newCommand } from '../ffmpeg.js';
import { probeMedia, type MediaInfo } from '../probe.js';
import { AAC_OPTIONS, addInput, addOutputOptions, assertOutput, h264Options } from './common.js';
import type { JobContext, Processor } from './types.js';

type Step = { index: number; count: number };

function videoOf(info: MediaInfo, what: string): { width: number; height: number; fps: number } {
  if (!info.hasVideo || !info.width || !info.height) throw new Error(`${what} has no video stream`);
  return { width: info.width, height: info.height, fps: info.fps && info.fps > 0 ? info.fps : 25 };
}

const FINAL = ['-movflags', '+faststart', '-f', 'mp4'];

async function cut(ctx: JobContext, input: string, output: string, opts: { start?: number; end?: number }, step: Step): Promise<void> {
  const info = await probeMedia(input);
  const start = opts.start ?? 0;
  const end = opts.end ?? info.durationSec;
  if (start < 0 || (end !== undefined && end <= start)) throw new Error(`cut: invalid range start=${opts.start} end=${opts.end}`);
  const cmd = newCommand(ctx.settings);
  // Input seeking + re-encoding is frame-accurate and does not decode the skipped part.
  addInput(cmd, input, start > 0 ? ['-ss', String(start)] : []);
  const v = videoOf(info, 'cut input');
  addOutputOptions(cmd, ['-map', '0:v:0', '-map', '0:a:0?', ...h264Options(v.fps), ...AAC_OPTIONS, ...FINAL]);
  if (opts.end !== undefined) addOutputOptions(cmd, ['-t', String(opts.end - start)]);
  cmd.output(output);
  await ctx.ffmpeg(cmd, 'studio cut', end !== undefined ? end - start : undefined, step);
}

/** Concatenates `first` then `second`, both brought to the main video's size, fps and audio format. */
async function concat(ctx: JobContext, main: string, extra: string, where: 'intro' | 'outro', output: string, step: Step): Promise<void> {
  const [mainInfo, extraInfo] = await Promise.all([probeMedia(main), probeMedia(extra)]);
  const v = videoOf(mainInfo, 'studio input');
  videoOf(extraInfo, `${where} file`);
  const parts = where === 'intro' ? [extraInfo, mainInfo] : [mainInfo, extraInfo];
  const cmd = newCommand(ctx.settings);
  for (const f of where === 'intro' ? [extra, main] : [main, extra]) addInput(cmd, f);
  const withAudio = mainInfo.hasAudio;
  const filters: string[] = [];
  let concatInputs = '';
  parts.forEach((info, i) => {
    filters.push(
      `[${i}:v]scale=${v.width}:${v.height}:force_original_aspect_ratio=decrease,pad=${v.width}:${v.height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${v.fps},format=yuv420p[v${i}]`,
    );
    concatInputs += `[v${i}]`;
    if (withAudio) {
      // A silent track of the same length keeps audio and video aligned after the concat.
      filters.push(
        info.hasAudio
          ? `[${i}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo[a${i}]`
          : `anullsrc=r=48000:cl=stereo,atrim=duration=${(info.durationSec ?? 0).toFixed(3)},aformat=sample_fmts=fltp:channel_layouts=stereo[a${i}]`,
      );
      concatInputs += `[a${i}]`;
    }
  });
  filters.push(`${concatInputs}concat=n=2:v=1:a=${withAudio ? 1 : 0}[vout]${withAudio ? '[aout]' : ''}`);
  addOutputOptions(cmd, ['-filter_complex', filters.join(';'), '-map', '[vout]']);
  if (withAudio) addOutputOptions(cmd, ['-map', '[aout]', ...AAC_OPTIONS]);
  addOutputOptions(cmd, [...h264Options(v.fps), ...FINAL]);
  cmd.output(output);
  const total = (mainInfo.durationSec ?? 0) + (extraInfo.durationSec ?? 0);
  await ctx.ffmpeg(cmd, `studio add-${where}`, total || undefined, step);
}

/** PeerTube's placement: height = video height × sizeRatio, top-right corner, margins relative to the video height. */
async function watermark(
  ctx: JobContext,
  input: string,
  image: string,
  o: { watermarkSizeRatio: number; horitonzalMarginRatio: number; verticalMarginRatio: number },
  output: string,
  step: Step,
): Promise<void> {
  const info = await probeMedia(input);
  const v = videoOf(info, 'studio input');
  if (!(o.watermarkSizeRatio > 0 && o.watermarkSizeRatio <= 1))
    throw new Error(`add-watermark: watermarkSizeRatio must be in (0, 1], got ${o.watermarkSizeRatio}`);
  const wmHeight = Math.max(2, Math.round(v.height * o.watermarkSizeRatio));
  const cmd = newCommand(ctx.settings);
  addInput(cmd, input);
  addInput(cmd, image);
  const graph =
    `[1:v]scale=-1:${wmHeight}[wm];` +
    `[0:v][wm]overlay=x=main_w-overlay_w-(main_h*${o.horitonzalMarginRatio}):y=main_h*${o.verticalMarginRatio}:format=auto,format=yuv420p[vout]`;
  addOutputOptions(cmd, ['-filter_complex', graph, '-map', '[vout]', '-map', '0:a:0?', ...h264Options(v.fps), ...AAC_OPTIONS, ...FINAL]);
  cmd.output(output);
  await ctx.ffmpeg(cmd, 'studio add-watermark', info.durationSec, step);
}

async function runTask(ctx: JobContext, task: StudioTask, input: string, output: string, i: number, step: Step): Promise<void> {
  switch (task.name) {
    case 'cut':
      return cut(ctx, input, output, task.options, step);
    case 'add-intro':
    case 'add-outro': {
      const file = await ctx.download(task.options.file, `task-${i}-${task.name}`);
      return concat(ctx, input, file, task.name === 'add-intro' ? 'intro' : 'outro', output, step);
    }
    case 'add-watermark': {
      const file = await ctx.download(task.options.file, `task-${i}-watermark`);
      return watermark(ctx, input, file, task.options, output, step);
    }
  }
}

const checkStudio = validator(StudioPayload, 'video-studio-transcoding payload');

/**
 * PeerTube's wire name is `horitonzalMarginRatio` (sic); servers that spell it correctly are
 * accepted too: the correct spelling fills the PeerTube field when that one is missing.
 */
export function normalizeStudioPayload(raw: unknown): unknown {
  const tasks = (raw as { tasks?: unknown } | null)?.tasks;
  if (!Array.isArray(tasks)) return raw;
  return {
    ...(raw as object),
    tasks: tasks.map((t: unknown) => {
      const task = t as { name?: unknown; options?: Record<string, unknown> } | null;
      const o = task?.options;
      if (task?.name !== 'add-watermark' || !o || o['horitonzalMarginRatio'] !== undefined || o['horizontalMarginRatio'] === undefined)
        return t;
      const { horizontalMarginRatio, ...rest } = o;
      return { ...task, options: { ...rest, horitonzalMarginRatio: horizontalMarginRatio } };
    }),
  };
}

export const studioProcessor: Processor<StudioPayload> = {
  type: 'video-studio-transcoding',
  payload: Object.assign((raw: unknown): raw is StudioPayload => checkStudio(normalizeStudioPayload(raw)), {
    assert: (raw: unknown) => checkStudio.assert(normalizeStudioPayload(raw)),
    errors: (raw: unknown) => checkStudio.errors(normalizeStudioPayload(raw)),
  }),
  async process(ctx, p) {
    if (p.tasks.length === 0) throw new Error('video-studio-transcoding payload has no tasks');
    let current = await ctx.download(p.input.videoFileUrl, 'input');
    const audioUrl = p.input.separatedAudioFileUrl[0];
    const count = p.tasks.length + (audioUrl ? 1 : 0);
    let index = 0;
    if (audioUrl) {
      // Separated audio: mux it back first so every task sees one file.
      const audio = await ctx.download(audioUrl, 'input-audio');
      const merged = join(ctx.dir, 'studio-merged.mp4');
      const cmd = newCommand(ctx.settings);
      addInput(cmd, current);
      addInput(cmd, audio);
      addOutputOptions(cmd, ['-map', '0:v:0', '-map', '1:a:0', '-c', 'copy', '-f', 'mp4']);
      cmd.output(merged);
      await ctx.ffmpeg(cmd, 'studio merge audio', (await probeMedia(current)).durationSec, { index: index++, count });
      current = merged;
    }
    for (const [i, task] of p.tasks.entries()) {
      const output = join(ctx.dir, `studio-${i}-${task.name}.mp4`);
      await runTask(ctx, task, current, output, i, { index: index++, count });
      assertOutput(output, `studio task ${i} (${task.name})`);
      current = output;
    }
    return { files: [{ field: 'payload[videoFile]', path: current, filename: `${ctx.job.uuid}.mp4` }] };
  },
};
