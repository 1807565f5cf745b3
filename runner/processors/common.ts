// Helpers shared by the processors: opening inputs, running ffmpeg to one file, output checks,
// safe file names, encoder settings and muxers.
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FfmpegCommand } from 'fluent-ffmpeg';
import type { CtInputMedia } from '../../lib/peertube/job-types.js';
import { inputInfo, type OpenedInput } from '../input.js';
import type { MediaInfo } from '../probe.js';
import type { JobContext } from './types.js';

/** ffmpeg can exit 0 and still write nothing (e.g. a snapshot past the end): check every output. */
export function assertOutput(file: string, what: string): void {
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    throw new Error(`${what}: ffmpeg produced no output file ${basename(file)}`);
  }
  if (size === 0) throw new Error(`${what}: ffmpeg produced an empty output file ${basename(file)}`);
}

/** A file name from a payload, used inside the job dir: no directories, no odd characters. */
export function safeFileName(name: string, what: string): string {
  // Only the base name is used: a path in the payload can never escape the job dir.
  const base = basename(name);
  if (!/^\w[\w .-]{0,254}$/.test(base)) {
    throw new Error(`${what} "${name}" is not a usable file name (letters, digits, _ . - and spaces only)`);
  }
  return base;
}

/** Splits `name.ext` into stem and extension (default extension when there is none). */
export function splitName(name: string, defaultExt: string): { stem: string; ext: string } {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return { stem: name, ext: defaultExt };
  return { stem: name.slice(0, dot), ext: name.slice(dot + 1) };
}

/** ffmpeg muxer for a container name or file extension. */
export function muxerFor(container: string): string {
  const c = container.toLowerCase().replace(/^\./, '');
  const map: Record<string, string> = {
    mkv: 'matroska',
    m4a: 'mp4',
    m4v: 'mp4',
    aac: 'adts',
    ts: 'mpegts',
    m2ts: 'mpegts',
    oga: 'ogg',
    opus: 'opus',
    '3gp': '3gp',
    wma: 'asf',
    wmv: 'asf',
  };
  return map[c] ?? c;
}

export function isMp4Family(muxer: string): boolean {
  return ['mp4', 'mov', 'ipod', '3gp', 'ismv'].includes(muxer);
}

/** Even height; the width follows the input's ratio (even too). */
export function scaleToHeight(height: number): string {
  const h = Math.max(2, Math.round(height / 2) * 2);
  return `scale=-2:${h}`;
}

/**
 * The fps filter resamples the frame rate exactly; `-r` alone duplicates trailing frames and
 * lengthens the output (3 s at 25 → 15 fps gave 3.13 s).
 */
export function fpsFilter(fps: number | undefined): string {
  return fps && fps > 0 ? `,fps=${fps}` : '';
}

/** PeerTube-like H.264 settings for the standard job types (quality-targeted, browser-friendly). */
export function h264Options(fps: number | undefined): string[] {
  const opts = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-profile:v', 'high'];
  if (fps && fps > 0) {
    // A key frame every 2 s keeps HLS segments and seeking regular.
    opts.push('-r', String(fps), '-g', String(Math.max(1, Math.round(fps * 2))));
  }
  return opts;
}

export const AAC_OPTIONS = ['-c:a', 'aac', '-b:a', '128k', '-ar', '48000'];

// fluent-ffmpeg splits a single array argument's items on spaces; passing several arguments keeps
// every item verbatim (filter graphs and file names may contain spaces).

/** Adds one input with its options (fluent-ffmpeg applies inputOptions to the last input). */
export function addInput(cmd: FfmpegCommand, file: string, options: string[] = []): FfmpegCommand {
  cmd.input(file);
  if (options.length === 1) cmd.inputOptions(options[0]!);
  else if (options.length > 1) cmd.inputOptions(...(options as [string, ...string[]]));
  return cmd;
}

/** Adds output options verbatim. */
export function addOutputOptions(cmd: FfmpegCommand, options: string[]): FfmpegCommand {
  if (options.length === 1) cmd.outputOptions(options[0]!);
  else if (options.length > 1) cmd.outputOptions(...(options as [string, ...string[]]));
  return cmd;
}

/** A CT task's input opened, its media known, and the safe output path in the job dir. */
export interface CtInput {
  input: OpenedInput;
  info: MediaInfo;
  fileName: string;
  output: string;
}

/**
 * Opens a CT task's input (ct-* job types: `input.media` from the operator's probe, else probed
 * here) and fails when it lacks the stream the output needs.
 */
export async function openCtInput(
  ctx: JobContext,
  p: { input: { videoFileUrl: string; media?: CtInputMedia | undefined }; output: { fileName: string } },
  needs: 'audio' | 'video',
  outDir = ctx.dir,
): Promise<CtInput> {
  const fileName = safeFileName(p.output.fileName, 'output fileName');
  const input = await ctx.openInput(p.input.videoFileUrl, 'input');
  const info = await inputInfo(input, p.input.media);
  if (needs === 'audio' && !info.hasAudio) throw new Error('the input has no audio stream to extract');
  if (needs === 'video' && !info.hasVideo) throw new Error('the input has no video stream');
  return { input, info, fileName, output: join(outDir, fileName) };
}

/**
 * Opens a PeerTube task's input and its separated audio file if the payload names one (downloaded
 * first). No probe: the progress percentage uses the duration ffmpeg prints as it opens the input.
 */
export async function openWithSeparatedAudio(
  ctx: JobContext,
  p: { input: { videoFileUrl: string; separatedAudioFileUrl: string[] } },
): Promise<{ input: OpenedInput; audio: string | undefined }> {
  const audioUrl = p.input.separatedAudioFileUrl[0];
  const audio = audioUrl ? await ctx.download(audioUrl, 'input-audio') : undefined;
  const input = await ctx.openInput(p.input.videoFileUrl, 'input');
  return { input, audio };
}

/** Runs `cmd` writing `output`, waits for the input's download to settle, and checks the file. */
export async function runToFile(
  ctx: JobContext,
  cmd: FfmpegCommand,
  input: OpenedInput,
  output: string,
  label: string,
  totalSec: number | undefined,
): Promise<void> {
  cmd.output(output);
  await ctx.ffmpeg(cmd, label, totalSec);
  await input.complete;
  assertOutput(output, label);
}
