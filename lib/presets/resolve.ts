// Resolution of a CT VIDEO output (preset + per-output overrides) into the exact encoding a runner
// applies, checked against the probed input with CT's rules (docs/ct-protocol.md):
// unknown preset → UNKNOWN_PRESET; keep_ratio (default true): output w/h rounded to one decimal must
// equal the input's → RATIO_ERROR; no_enlarge (default true): neither side larger than the input's →
// ENLARGEMENT_ERROR. A failure concerns that output only.
import type { OutputSpec } from '../schema/ct-job.js';
import type { CtEncoding } from '../peertube/job-types.js';
import { PRESETS, type CtPreset } from './data.js';

export type CtReason =
  | 'S3_OPS_FAILED'
  | 'GET_VIDEO_INFO_FAILED'
  | 'GET_AUDIO_INFO_FAILED'
  | 'GET_DURATION_FAILED'
  | 'UNKNOWN_PRESET'
  | 'RATIO_ERROR'
  | 'ENLARGEMENT_ERROR'
  | 'WATERMARK_ERROR'
  | 'TRANSCODE_FAIL'
  | 'CONVERSION_TYPE_ERROR'
  | 'BUCKET_NOT_ALLOWED'
  | 'KEY_NOT_ALLOWED'
  | 'JOB_CANCELED';

export type Resolved<T> = { ok: true; value: T } | { ok: false; reason: CtReason; details: string };

const byName = new Map(PRESETS.map((preset) => [preset.name, preset]));

export function presetNames(): string[] {
  return [...byName.keys()];
}

export function getPreset(name: string): CtPreset | undefined {
  return byName.get(name);
}

export interface CodecOptions {
  profile?: string;
  level?: string;
  maxReferenceFrames?: number;
}

/** Parses CT's `Key:Value,Key:Value` (also `Key=Value`, which CT's own parser expected). */
export function parseCodecOptions(options: string | undefined): CodecOptions {
  const out: CodecOptions = {};
  for (const part of (options ?? '').split(',')) {
    const m = /^\s*(\w+)\s*[:=]\s*([\w.]+)\s*$/.exec(part);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'Profile') out.profile = value.toLowerCase();
    else if (key === 'Level') out.level = value;
    else if (key === 'MaxReferenceFrames' && /^\d+$/.test(value)) out.maxReferenceFrames = Number(value);
  }
  return out;
}

const VIDEO_CONTAINERS: Record<string, string> = {
  mp4: 'mp4',
  m4v: 'mp4',
  mov: 'mov',
  mkv: 'matroska',
  webm: 'webm',
  ts: 'mpegts',
  flv: 'flv',
  avi: 'avi',
  '3gp': '3gp',
  ogv: 'ogg',
};

export function extensionOf(key: string): string {
  const base = key.slice(key.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot < 0 ? '' : base.slice(dot + 1).toLowerCase();
}

/** Frame size of the input as displayed (a 90° rotation swaps the coded sides). */
export interface InputFrame {
  width: number;
  height: number;
}

export function ratioOf(width: number, height: number): string {
  return (width / height).toFixed(1);
}

const even = (n: number) => Math.max(2, 2 * Math.round(n / 2));

/**
 * Output frame size from a CT size (`WxH`, W or H may be -1/-2 = keep the input ratio) and the input.
 * Without an input frame (audio-only source) a missing side assumes 16:9.
 */
export function resolveSize(size: string, input: InputFrame | undefined): { width: number; height: number } | undefined {
  const m = /^(-?\d+)x(-?\d+)$/.exec(size);
  if (!m) return undefined;
  let w = Number(m[1]);
  let h = Number(m[2]);
  const ratio = input ? input.width / input.height : 16 / 9;
  if (w < 0 && h > 0) w = even(h * ratio);
  else if (h < 0 && w > 0) h = even(w / ratio);
  if (w < 2 || h < 2) return undefined;
  return { width: w, height: h };
}

/** Ratio / enlargement checks shared by VIDEO outputs (CT's rules). */
export function checkFrame(
  out: { width: number; height: number },
  input: InputFrame | undefined,
  spec: Pick<OutputSpec, 'keep_ratio' | 'no_enlarge'>,
): Resolved<null> {
  if (!input) return { ok: true, value: null };
  if ((spec.keep_ratio ?? true) && ratioOf(out.width, out.height) !== ratioOf(input.width, input.height)) {
    return {
      ok: false,
      reason: 'RATIO_ERROR',
      details: `output ratio ${ratioOf(out.width, out.height)} (${out.width}x${out.height}) differs from the input ratio ${ratioOf(input.width, input.height)} (${input.width}x${input.height}); set keep_ratio: false to allow it`,
    };
  }
  if ((spec.no_enlarge ?? true) && (out.width > input.width || out.height > input.height)) {
    return {
      ok: false,
      reason: 'ENLARGEMENT_ERROR',
      details: `output ${out.width}x${out.height} is larger than the input ${input.width}x${input.height}; set no_enlarge: false to allow it`,
    };
  }
  return { ok: true, value: null };
}

/** Preset + overrides of a VIDEO output → the encoding, checked against the input frame. */
export function resolveVideoEncoding(spec: OutputSpec, input: InputFrame | undefined): Resolved<CtEncoding> {
  const preset = spec.preset === undefined ? undefined : getPreset(spec.preset);
  if (!preset)
    return {
      ok: false,
      reason: 'UNKNOWN_PRESET',
      details: `unknown preset ${JSON.stringify(spec.preset)}; known presets: ${presetNames().join(', ')}`,
    };
  const container = VIDEO_CONTAINERS[extensionOf(spec.output_file)];
  if (!container) {
    return {
      ok: false,
      reason: 'CONVERSION_TYPE_ERROR',
      details: `cannot write a video to ${JSON.stringify(spec.output_file)}: the extension must be one of ${Object.keys(VIDEO_CONTAINERS).join(', ')}`,
    };
  }
  const sizeText = spec.size ?? preset.size;
  const frame = resolveSize(sizeText, input);
  if (!frame) return { ok: false, reason: 'TRANSCODE_FAIL', details: `invalid size ${JSON.stringify(sizeText)}` };
  const check = checkFrame(frame, input, spec);
  if (!check.ok) return check;
  const opts = parseCodecOptions(preset.video_codec_options);
  const videoCodec = spec.video_codec ?? preset.video_codec;
  // Profile/level/refs are H.264 options; they would break another codec chosen by override.
  const h264 = videoCodec === 'libx264' || videoCodec === 'h264';
  return {
    ok: true,
    value: {
      width: frame.width,
      height: frame.height,
      fps: spec.frame_rate ?? preset.frame_rate,
      videoCodec,
      audioCodec: spec.audio_codec === 'libfdk_aac' ? 'aac' : (spec.audio_codec ?? preset.audio_codec),
      videoBitrate: spec.video_bitrate ?? preset.video_bitrate,
      audioBitrate: spec.audio_bitrate ?? preset.audio_bitrate,
      ...(h264 && opts.profile ? { profile: opts.profile } : {}),
      ...(h264 && opts.level ? { level: opts.level } : {}),
      ...(h264 && opts.maxReferenceFrames !== undefined ? { maxReferenceFrames: opts.maxReferenceFrames } : {}),
      container,
    },
  };
}

const AUDIO_CONTAINERS: Record<string, { container: string; codec: string }> = {
  m4a: { container: 'ipod', codec: 'aac' },
  aac: { container: 'adts', codec: 'aac' },
  mp4: { container: 'mp4', codec: 'aac' },
  mp3: { container: 'mp3', codec: 'libmp3lame' },
  ogg: { container: 'ogg', codec: 'libvorbis' },
  oga: { container: 'ogg', codec: 'libvorbis' },
  opus: { container: 'opus', codec: 'libopus' },
  wav: { container: 'wav', codec: 'pcm_s16le' },
  flac: { container: 'flac', codec: 'flac' },
};

/** AUDIO output → codec, bitrate and muxer (from the output file extension unless overridden). */
export function resolveAudio(spec: OutputSpec): Resolved<{ audioCodec: string; audioBitrate: string; container: string }> {
  const c = AUDIO_CONTAINERS[extensionOf(spec.output_file)];
  if (!c) {
    return {
      ok: false,
      reason: 'CONVERSION_TYPE_ERROR',
      details: `cannot write audio to ${JSON.stringify(spec.output_file)}: the extension must be one of ${Object.keys(AUDIO_CONTAINERS).join(', ')}`,
    };
  }
  const codec = spec.audio_codec === 'libfdk_aac' ? 'aac' : (spec.audio_codec ?? c.codec);
  return { ok: true, value: { audioCodec: codec, audioBitrate: spec.audio_bitrate ?? '128k', container: c.container } };
}
