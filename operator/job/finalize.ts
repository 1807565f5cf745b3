// Output finalization once every task of an output completed: check the stored objects (HeadObject),
// describe video results with ffprobe (duration, frame size), and for HLS write the master playlist
// next to the renditions. The api-server stored the files at the task placements.
import {
  HeadObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  type StorageClass,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { FfprobeData } from 'fluent-ffmpeg';
import type { OutputSpec } from '../../lib/schema/ct-job.js';
import type { OutputStatus, TaskStatus } from '../../lib/schema/transcode-job.js';
import { ffprobe } from '../../lib/media/probe.js';
import { normalizeKey, splitKey } from './plan.js';
import { boundKeys, type BoundedKeys } from '../../lib/jobs/status-limits.js';

export type Finalized = Pick<
  OutputStatus,
  'status' | 'bucket' | 'keys' | 'keyCount' | 'keyPrefix' | 'manifest' | 'size' | 'duration' | 'width' | 'height' | 'reason' | 'details'
>;

export class FinalizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FinalizeError';
  }
}

async function head(s3: S3Client, bucket: string, key: string): Promise<number> {
  try {
    const r = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return r.ContentLength ?? 0;
  } catch (err) {
    throw new FinalizeError(`result s3://${bucket}/${key} cannot be read: ${(err as Error).name || (err as Error).message}`);
  }
}

async function probeResult(s3: S3Client, bucket: string, key: string): Promise<FfprobeData> {
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 300 });
  try {
    return await ffprobe(url, 60_000);
  } catch (err) {
    throw new FinalizeError(
      `result s3://${bucket}/${key} is not readable media: ${(err as Error).message.split(url).join(key).slice(0, 500)}`,
    );
  }
}

function numOr(v: unknown): number | undefined {
  const n = Number(v);
  return v === undefined || v === 'N/A' || !Number.isFinite(n) ? undefined : n;
}

/** RFC 6381 codec string of an ffprobe stream, as HLS master playlists list them. */
export function codecString(data: FfprobeData): string {
  const out: string[] = [];
  const v = data.streams.find((s) => s.codec_type === 'video');
  if (v?.codec_name === 'h264') {
    const profile = String(v.profile ?? '').toLowerCase();
    const pc = profile.includes('high') ? '6400' : profile.includes('main') ? '4d40' : '42e0';
    const level = Math.max(0, Math.min(255, Math.round(numOr(v.level) ?? 31)));
    out.push(`avc1.${pc}${level.toString(16).padStart(2, '0')}`);
  } else if (v?.codec_name === 'hevc') out.push('hvc1.1.6.L93.B0');
  else if (v?.codec_name) out.push(v.codec_name);
  const a = data.streams.find((s) => s.codec_type === 'audio');
  if (a?.codec_name === 'aac') out.push('mp4a.40.2');
  else if (a?.codec_name === 'mp3') out.push('mp4a.40.34');
  else if (a?.codec_name === 'opus') out.push('opus');
  return out.join(',');
}

export interface Rendition {
  playlistName: string;
  bandwidth: number;
  width: number;
  height: number;
  fps: number | undefined;
  codecs: string;
}

export function masterPlaylist(renditions: Rendition[]): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const r of [...renditions].sort((a, b) => b.bandwidth - a.bandwidth)) {
    const attrs = [`BANDWIDTH=${r.bandwidth}`, `RESOLUTION=${r.width}x${r.height}`];
    if (r.fps) attrs.push(`FRAME-RATE=${r.fps.toFixed(3)}`);
    if (r.codecs) attrs.push(`CODECS="${r.codecs}"`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, r.playlistName);
  }
  return lines.join('\n') + '\n';
}

function fpsOf(data: FfprobeData): number | undefined {
  const v = data.streams.find((s) => s.codec_type === 'video');
  const [n, d] = String(v?.avg_frame_rate ?? v?.r_frame_rate ?? '')
    .split('/')
    .map(Number);
  return n && d ? n / d : undefined;
}

async function readManifest(s3: S3Client, bucket: string, key: string): Promise<string[]> {
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const list: unknown = JSON.parse(await r.Body!.transformToString());
    if (!Array.isArray(list) || !list.every((k) => typeof k === 'string')) throw new Error('not a JSON array of keys');
    return list;
  } catch (err) {
    throw new FinalizeError(`result manifest s3://${bucket}/${key} cannot be read: ${(err as Error).name || (err as Error).message}`);
  }
}

/**
 * Every key of the output and its size. A task result with a manifest (many files) is trusted for
 * its size — the api-server counted the bytes it stored — and only its inline keys and the manifest
 * are checked, instead of one HeadObject per file.
 */
async function resultKeys(s3: S3Client, bucket: string, tasks: TaskStatus[]): Promise<{ keys: string[]; size: number }> {
  const keys: string[] = [];
  let size = 0;
  for (const t of tasks) {
    const from = t.result?.bucket ?? bucket;
    if (t.result?.manifest) {
      const all = await readManifest(s3, from, t.result.manifest);
      for (const key of t.result.keys) await head(s3, from, key);
      keys.push(...all);
      size += t.result.size ?? 0;
      continue;
    }
    const own = t.result?.keys ?? Object.values(t.placement.files ?? {});
    for (const key of own) size += await head(s3, from, key);
    keys.push(...own);
  }
  return { keys, size };
}

/** The output's key list as status holds it; a long one is written to a manifest object first. */
async function boundedOutputKeys(s3: S3Client, spec: OutputSpec, keys: string[]): Promise<BoundedKeys> {
  const bounded = boundKeys(keys);
  if (!bounded.manifest) return bounded;
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: spec.output_bucket,
        Key: bounded.manifest,
        Body: JSON.stringify(keys),
        ContentType: 'application/json',
        ...(spec.s3_rrs ? { StorageClass: 'REDUCED_REDUNDANCY' as StorageClass } : {}),
        ...(spec.s3_encrypt ? { ServerSideEncryption: 'AES256' as ServerSideEncryption } : {}),
      }),
    );
  } catch (err) {
    throw new FinalizeError(`cannot write the key manifest s3://${spec.output_bucket}/${bounded.manifest}: ${(err as Error).name}`);
  }
  return bounded;
}

/** Finalizes one output whose tasks all completed. Throws FinalizeError when a result is missing or unreadable. */
export async function finalizeOutput(s3: S3Client, spec: OutputSpec, index: number, tasks: TaskStatus[]): Promise<Finalized> {
  const bucket = spec.output_bucket;
  const { keys, size } = await resultKeys(s3, bucket, tasks);
  if (keys.length === 0) throw new FinalizeError(`output ${index}: the tasks reported no result file`);
  const base: Finalized = { status: 'Succeeded', bucket, keys, size };
  switch (spec.output_type) {
    case 'VIDEO':
    case 'AUDIO': {
      const data = await probeResult(s3, bucket, keys[0]!);
      const v = data.streams.find((s) => s.codec_type === 'video');
      const duration = numOr(data.format.duration);
      return {
        ...base,
        ...(duration !== undefined ? { duration } : {}),
        ...(v?.width && v.height ? { width: v.width, height: v.height } : {}),
      };
    }
    case 'THUMB':
      return { ...base, ...(await boundedOutputKeys(s3, spec, keys)) };
    case 'HLS': {
      const masterKey = normalizeKey(spec.output_file);
      const renditions: Rendition[] = [];
      let duration: number | undefined;
      let top: { width: number; height: number } | undefined;
      for (const t of tasks) {
        const files = t.placement.files ?? {};
        const videoKey = files['payload[videoFile]'];
        const playlistKey = files['payload[resolutionPlaylistFile]'];
        if (!videoKey || !playlistKey) throw new FinalizeError(`${t.name}: no rendition keys in its placement`);
        const data = await probeResult(s3, bucket, videoKey);
        const v = data.streams.find((s) => s.codec_type === 'video');
        const d = numOr(data.format.duration) ?? 0;
        const bytes = await head(s3, bucket, videoKey);
        const bandwidth = numOr(data.format.bit_rate) ?? (d > 0 ? Math.round((bytes * 8) / d) : 0);
        renditions.push({
          playlistName: splitKey(playlistKey).base,
          bandwidth: Math.max(1, Math.round(bandwidth)),
          width: v?.width ?? 0,
          height: v?.height ?? 0,
          fps: fpsOf(data),
          codecs: codecString(data),
        });
        duration = Math.max(duration ?? 0, d);
        if (v?.width && v.height && (!top || v.height * v.width > top.width * top.height)) top = { width: v.width, height: v.height };
      }
      const body = masterPlaylist(renditions);
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: masterKey,
            Body: body,
            ContentType: 'application/vnd.apple.mpegurl',
            ...(spec.s3_rrs ? { StorageClass: 'REDUCED_REDUNDANCY' as StorageClass } : {}),
            ...(spec.s3_encrypt ? { ServerSideEncryption: 'AES256' as ServerSideEncryption } : {}),
          }),
        );
      } catch (err) {
        throw new FinalizeError(`cannot write the master playlist s3://${bucket}/${masterKey}: ${(err as Error).message}`);
      }
      return {
        ...base,
        ...(await boundedOutputKeys(s3, spec, [masterKey, ...keys])),
        size: size + Buffer.byteLength(body),
        ...(duration !== undefined ? { duration } : {}),
        ...(top ? top : {}),
      };
    }
  }
}
