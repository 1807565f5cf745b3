// Input probing straight from S3: HeadObject (existence, size) beside ffprobe (fluent-ffmpeg) on a
// short-lived presigned GET URL, so ffprobe reads only the bytes it needs — never a full download.
// Failures carry CT's reason codes (docs/ct-protocol.md).
import { HeadObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import ffmpeg, { type FfprobeData, type FfprobeStream } from 'fluent-ffmpeg';
import type { ProbeInfo } from '../schema/transcode-job.js';
import { isS3NotFound } from '../aws/errors.js';
import { ffNumber, frameRate, mainStreams } from './ffprobe.js';

/** JOB_TOO_LARGE: refused before probing (lib/jobs/status-limits.ts). */
export type ProbeReason = 'S3_OPS_FAILED' | 'GET_VIDEO_INFO_FAILED' | 'GET_AUDIO_INFO_FAILED' | 'GET_DURATION_FAILED' | 'JOB_TOO_LARGE';

export class ProbeError extends Error {
  constructor(
    readonly reason: ProbeReason,
    message: string,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

const num = ffNumber;

function int(v: unknown): number | undefined {
  const n = num(v);
  return n === undefined ? undefined : Math.round(n);
}

function rate(r: string | undefined): number | undefined {
  const v = frameRate(r);
  return v === undefined ? undefined : Math.round(v * 1000) / 1000;
}

function rotationOf(s: FfprobeStream): number | undefined {
  const tag = num((s.tags as Record<string, unknown> | undefined)?.['rotate']);
  if (tag !== undefined) return Math.round(tag);
  const side = (s as { side_data_list?: { rotation?: unknown }[] }).side_data_list;
  for (const d of side ?? []) {
    const r = num(d.rotation);
    if (r !== undefined) return Math.round(r);
  }
  return undefined;
}

/** ffprobe output → our ProbeInfo (no validation: see checkInput). */
export function toProbeInfo(data: FfprobeData, size?: number): ProbeInfo {
  const { video: v, audio: a } = mainStreams(data);
  const duration = num(data.format.duration) ?? num(v?.duration) ?? num(a?.duration) ?? 0;
  const info: ProbeInfo = { duration };
  if (data.format.format_name) info.formatName = data.format.format_name;
  const sz = size ?? int(data.format.size);
  if (sz !== undefined) info.size = sz;
  const br = int(data.format.bit_rate);
  if (br !== undefined) info.bitrate = br;
  if (v && v.width && v.height) {
    const rotation = rotationOf(v);
    const vbr = int(v.bit_rate);
    info.video = {
      codec: v.codec_name ?? 'unknown',
      width: v.width,
      height: v.height,
      fps: rate(v.avg_frame_rate) ?? rate(v.r_frame_rate) ?? 0,
      ...(v.pix_fmt ? { pixFmt: v.pix_fmt } : {}),
      ...(vbr !== undefined ? { bitrate: vbr } : {}),
      ...(rotation ? { rotation } : {}),
    };
  }
  if (a) {
    const sampleRate = int(a.sample_rate);
    const abr = int(a.bit_rate);
    info.audio = {
      codec: a.codec_name ?? 'unknown',
      ...(sampleRate !== undefined ? { sampleRate } : {}),
      ...(a.channels !== undefined ? { channels: a.channels } : {}),
      ...(abr !== undefined ? { bitrate: abr } : {}),
    };
  }
  return info;
}

/** Frame size as displayed (90°/270° rotations swap the coded sides). */
export function displayFrame(probe: ProbeInfo): { width: number; height: number } | undefined {
  const v = probe.video;
  if (!v) return undefined;
  const quarter = Math.abs(v.rotation ?? 0) % 180 === 90;
  return quarter ? { width: v.height, height: v.width } : { width: v.width, height: v.height };
}

/** CT's input checks: a VIDEO input needs a video stream, an AUDIO input an audio stream, both a duration. */
export function checkInput(info: ProbeInfo, inputType: 'VIDEO' | 'AUDIO', what: string): void {
  if (inputType === 'VIDEO' && !info.video) throw new ProbeError('GET_VIDEO_INFO_FAILED', `${what} has no video stream`);
  if (inputType === 'AUDIO' && !info.audio) throw new ProbeError('GET_AUDIO_INFO_FAILED', `${what} has no audio stream`);
  if (!(info.duration > 0))
    throw new ProbeError('GET_DURATION_FAILED', `${what} has no duration (ffprobe reports ${info.duration || 'none'})`);
}

export function ffprobe(url: string, timeoutMs = 60_000): Promise<FfprobeData> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ffprobe timed out after ${timeoutMs} ms`)), timeoutMs);
    ffmpeg.ffprobe(url, (err: Error | null, data: FfprobeData) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(data);
    });
  });
}

/** Probes s3://bucket/key; `url` never appears in messages (it carries a signature). */
export async function probeObject(
  s3: S3Client,
  bucket: string,
  key: string,
  opts: { presignSeconds?: number; timeoutMs?: number } = {},
): Promise<ProbeInfo> {
  const what = `s3://${bucket}/${key}`;
  // HeadObject (existence, size) and ffprobe run side by side: the probe's latency is one of them,
  // not their sum (it is on the critical path of every job's dispatch). A missing object fails
  // both; the HeadObject's answer names the cause.
  const head = s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    (h) => ({ ok: true as const, size: h.ContentLength }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: opts.presignSeconds ?? 600 });
  const probed = ffprobe(url, opts.timeoutMs).then(
    (data) => ({ ok: true as const, data }),
    (err: unknown) => ({ ok: false as const, err: err as Error }),
  );
  const [h, p] = await Promise.all([head, probed]);
  if (!h.ok) {
    if (isS3NotFound(h.err)) throw new ProbeError('S3_OPS_FAILED', `input ${what} does not exist`);
    throw new ProbeError('S3_OPS_FAILED', `cannot read ${what}: ${(h.err as Error).message}`);
  }
  const size = h.size;
  if (!p.ok) {
    const msg = p.err.message
      .split(url)
      .join(what)
      .replace(/https?:\/\/\S+/g, what);
    throw new ProbeError('GET_VIDEO_INFO_FAILED', `ffprobe cannot read ${what}: ${msg.trim().slice(0, 2000)}`);
  }
  const data = p.data;
  return toProbeInfo(data, size);
}
