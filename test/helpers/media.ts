// Sample media for tests, generated with ffmpeg's lavfi sources (never downloaded), and an
// ffprobe-based oracle to check what our components produced.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import ffmpeg, { type FfprobeData, type FfprobeStream } from 'fluent-ffmpeg';

const exec = promisify(execFile);

async function runFfmpeg(args: string[], what: string): Promise<void> {
  try {
    await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { maxBuffer: 4 * 1024 * 1024 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`ffmpeg could not generate ${what}: ${(err as Error).message}\n${stderr}`, { cause: err });
  }
}

export interface ClipOptions {
  /** Seconds, default 3. */
  durationSec?: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Add a 440 Hz sine audio track (AAC), default true. */
  audio?: boolean;
}

/** An H.264 (+ AAC) mp4 test clip: testsrc2 picture with a moving pattern, and a sine tone. */
export async function generateClip(file: string, opts: ClipOptions = {}): Promise<string> {
  const d = opts.durationSec ?? 3;
  const w = opts.width ?? 320;
  const h = opts.height ?? 240;
  const fps = opts.fps ?? 25;
  const audio = opts.audio ?? true;
  mkdirSync(dirname(file), { recursive: true });
  const args = ['-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=${fps}:duration=${d}`];
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${d}`);
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(fps));
  if (audio) args.push('-c:a', 'aac', '-b:a', '96k', '-shortest');
  args.push('-movflags', '+faststart', file);
  await runFfmpeg(args, `clip ${file}`);
  return file;
}

/** An audio-only file (codec chosen by the extension: .m4a/.mp4 → AAC, .mp3 → MP3, .wav → PCM). */
export async function generateAudio(file: string, opts: { durationSec?: number; frequency?: number } = {}): Promise<string> {
  const d = opts.durationSec ?? 3;
  mkdirSync(dirname(file), { recursive: true });
  const codec = file.endsWith('.mp3')
    ? ['-c:a', 'libmp3lame']
    : file.endsWith('.wav')
      ? ['-c:a', 'pcm_s16le']
      : ['-c:a', 'aac', '-b:a', '96k'];
  await runFfmpeg(
    ['-f', 'lavfi', '-i', `sine=frequency=${opts.frequency ?? 440}:sample_rate=48000:duration=${d}`, ...codec, file],
    `audio ${file}`,
  );
  return file;
}

/** A PNG image; with `alpha`, a half-transparent RGBA image (useful as a watermark). */
export async function generatePng(file: string, opts: { width?: number; height?: number; alpha?: boolean } = {}): Promise<string> {
  const w = opts.width ?? 64;
  const h = opts.height ?? 64;
  mkdirSync(dirname(file), { recursive: true });
  const vf = opts.alpha ? ['-vf', 'format=rgba,colorchannelmixer=aa=0.5'] : [];
  await runFfmpeg(['-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=1:duration=1`, '-frames:v', '1', ...vf, file], `image ${file}`);
  return file;
}

export interface ProbeResult {
  formatName: string;
  durationSec: number;
  hasVideo: boolean;
  hasAudio: boolean;
  width?: number;
  height?: number;
  fps?: number;
  videoCodec?: string;
  videoProfile?: string;
  /** H.264 level as ffprobe reports it (e.g. 30 for 3.0). */
  videoLevel?: number;
  videoRefs?: number;
  pixFmt?: string;
  audioCodec?: string;
  videoBitrate?: number;
  audioBitrate?: number;
  streams: FfprobeStream[];
  raw: FfprobeData;
}

function rate(r: string | undefined): number | undefined {
  if (!r) return undefined;
  const [n, d] = r.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n)) return undefined;
  return d ? n / d : n;
}

function num(v: unknown): number | undefined {
  const n = Number(v);
  return v === undefined || v === 'N/A' || !Number.isFinite(n) ? undefined : n;
}

/** ffprobe (through fluent-ffmpeg) reduced to what tests assert on. */
export async function probe(file: string): Promise<ProbeResult> {
  const data = await new Promise<FfprobeData>((resolve, reject) =>
    ffmpeg.ffprobe(file, (err: Error | null, d: FfprobeData) => (err ? reject(new Error(`ffprobe ${file}: ${err.message}`)) : resolve(d))),
  );
  const v = data.streams.find((s) => s.codec_type === 'video');
  const a = data.streams.find((s) => s.codec_type === 'audio');
  const out: ProbeResult = {
    formatName: data.format.format_name ?? '',
    durationSec: num(data.format.duration) ?? num(v?.duration) ?? num(a?.duration) ?? 0,
    hasVideo: v !== undefined,
    hasAudio: a !== undefined,
    streams: data.streams,
    raw: data,
  };
  if (v) {
    Object.assign(out, {
      width: v.width,
      height: v.height,
      fps: rate(v.avg_frame_rate) ?? rate(v.r_frame_rate),
      videoCodec: v.codec_name,
      videoProfile: v.profile === undefined ? undefined : String(v.profile),
      videoLevel: num(v.level),
      videoRefs: num(v.refs),
      pixFmt: v.pix_fmt,
      videoBitrate: num(v.bit_rate),
    });
  }
  if (a) Object.assign(out, { audioCodec: a.codec_name, audioBitrate: num(a.bit_rate) });
  return out;
}
