// S3 checks shared by the finalizers: result objects exist (HeadObject), media is readable
// (ffprobe on a presigned URL), long key lists go to a manifest object.
import {
  DeleteObjectsCommand,
  HeadObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  type StorageClass,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { FfprobeData } from 'fluent-ffmpeg';
import type { OutputSpec } from '../../../lib/schema/ct-job.js';
import type { TaskStatus } from '../../../lib/schema/transcode-job.js';
import { ffprobe } from '../../../lib/media/probe.js';
import { boundKeys, type BoundedKeys } from '../../../lib/jobs/status-limits.js';
import { FinalizeError } from './types.js';

export async function head(s3: S3Client, bucket: string, key: string): Promise<number> {
  try {
    const r = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return r.ContentLength ?? 0;
  } catch (err) {
    throw new FinalizeError(`result s3://${bucket}/${key} cannot be read: ${(err as Error).name || (err as Error).message}`);
  }
}

export async function probeResult(s3: S3Client, bucket: string, key: string): Promise<FfprobeData> {
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 300 });
  try {
    return await ffprobe(url, 60_000);
  } catch (err) {
    throw new FinalizeError(
      `result s3://${bucket}/${key} is not readable media: ${(err as Error).message.split(url).join(key).slice(0, 500)}`,
    );
  }
}

export function numOr(v: unknown): number | undefined {
  const n = Number(v);
  return v === undefined || v === 'N/A' || !Number.isFinite(n) ? undefined : n;
}

/** S3 put options of an output written by the operator itself (master playlist, manifest). */
export function storageOptions(spec: OutputSpec): { StorageClass?: StorageClass; ServerSideEncryption?: ServerSideEncryption } {
  return {
    ...(spec.s3_rrs ? { StorageClass: 'REDUCED_REDUNDANCY' as StorageClass } : {}),
    ...(spec.s3_encrypt ? { ServerSideEncryption: 'AES256' as ServerSideEncryption } : {}),
  };
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
export async function resultKeys(s3: S3Client, bucket: string, tasks: TaskStatus[]): Promise<{ keys: string[]; size: number }> {
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
export async function boundedOutputKeys(s3: S3Client, spec: OutputSpec, keys: string[]): Promise<BoundedKeys> {
  const bounded = boundKeys(keys);
  if (!bounded.manifest) return bounded;
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: spec.output_bucket,
        Key: bounded.manifest,
        Body: JSON.stringify(keys),
        ContentType: 'application/json',
        ...storageOptions(spec),
      }),
    );
  } catch (err) {
    throw new FinalizeError(`cannot write the key manifest s3://${spec.output_bucket}/${bounded.manifest}: ${(err as Error).name}`);
  }
  return bounded;
}

/** Single-file media outputs (VIDEO, AUDIO): duration and frame size of the first result. */
export async function describeMedia(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ duration?: number; width?: number; height?: number }> {
  const data = await probeResult(s3, bucket, key);
  const v = data.streams.find((s) => s.codec_type === 'video');
  const duration = numOr(data.format.duration);
  return {
    ...(duration !== undefined ? { duration } : {}),
    ...(v?.width && v.height ? { width: v.width, height: v.height } : {}),
  };
}

/**
 * Removes the segments of a segmented encode once the joined output exists (deleting a missing key
 * succeeds: a finalization repeated after a lost status write finds nothing left to do).
 */
export async function deleteIntermediates(s3: S3Client, refs: { bucket: string; key: string }[]): Promise<void> {
  const byBucket = new Map<string, string[]>();
  for (const r of refs) byBucket.set(r.bucket, [...(byBucket.get(r.bucket) ?? []), r.key]);
  for (const [bucket, keys] of byBucket) {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      try {
        const r = await s3.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
        );
        const failed = r.Errors?.[0];
        if (failed) throw new Error(`${failed.Key}: ${failed.Code ?? 'error'}`);
      } catch (err) {
        throw new FinalizeError(`cannot delete the encoded segments in s3://${bucket}: ${(err as Error).message}`);
      }
    }
  }
}
