// The console's job page data: the live view plus what only the page needs — the input, probe,
// SWF workflow, the client messages recorded as sent, outputs as presigned download links, and
// same-origin URLs for the thumbnail preview and the HLS player (served by streamOutputFile).
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Response } from 'express';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';
import { errorInfo } from '../../lib/log.js';
import { HttpProblem, notFound } from '../problem.js';
import { contentTypeOf, isS3NotFound, type Storage } from '../s3.js';
import { jobView, type JobView } from './views.js';

/** Download links per output; an intervals THUMB or an HLS ladder has many files, we sign the first ones. */
const MAX_LINKS = 50;
const PRESIGN_SECONDS = 3600;

export interface OutputDetail {
  index: number;
  links: { key: string; url: string }[];
  moreFiles: number;
  /** Same-origin URL of an image to show (THUMB outputs). */
  preview: string | null;
  /** Same-origin URL of the HLS master playlist. */
  hls: string | null;
}

export interface JobDetail {
  view: JobView;
  input: { type: string; bucket: string; file: string };
  probe: unknown;
  workflow: { workflowId: string; runId: string | null } | null;
  reason: string | null;
  /** Keys of the client messages recorded in status.published (progress messages are never recorded). */
  published: string[];
  outputs: OutputDetail[];
}

const fileUrl = (job: TranscodeJob, index: number, key: string) =>
  `/console/api/jobs/${encodeURIComponent(job.metadata.namespace ?? '')}/${encodeURIComponent(job.metadata.name ?? '')}/files/${index}/${key
    .split('/')
    .map(encodeURIComponent)
    .join('/')}`;

export async function jobDetail(job: TranscodeJob, storage: Storage): Promise<JobDetail> {
  const st = job.status;
  const outputs: OutputDetail[] = [];
  for (const o of st?.outputs ?? []) {
    const keys = o.status === 'Succeeded' && o.bucket ? (o.keys ?? []) : [];
    const links = await Promise.all(
      keys.slice(0, MAX_LINKS).map(async (key) => ({ key, url: await storage.presignGet(o.bucket!, key, PRESIGN_SECONDS) })),
    );
    const first = keys[0];
    outputs.push({
      index: o.index,
      links,
      moreFiles: Math.max(0, keys.length - MAX_LINKS),
      preview: o.type === 'THUMB' && first ? fileUrl(job, o.index, first) : null,
      hls: o.type === 'HLS' && first?.endsWith('.m3u8') ? fileUrl(job, o.index, first) : null,
    });
  }
  const spec = job.spec.job;
  return {
    view: jobView(job),
    input: { type: spec.input_type, bucket: spec.input_bucket, file: spec.input_file },
    probe: st?.probe ?? null,
    workflow: st?.workflow ? { workflowId: st.workflow.workflowId, runId: st.workflow.runId ?? null } : null,
    reason: st?.reason ?? null,
    published: st?.published ?? [],
    outputs,
  };
}

/** Streams one file of a succeeded output (byte ranges too: HLS renditions are fragmented mp4 read by range); only keys the output recorded are served. */
export async function streamOutputFile(
  job: TranscodeJob,
  index: number,
  key: string,
  range: string | undefined,
  storage: Storage,
  res: Response,
): Promise<void> {
  const o = job.status?.outputs?.find((x) => x.index === index);
  if (!o?.bucket || o.status !== 'Succeeded' || !o.keys?.includes(key)) throw notFound('No such output file');
  const validRange = range && /^bytes=\d*-\d*$/.test(range) ? range : undefined;
  let obj;
  try {
    obj = await storage.s3.send(new GetObjectCommand({ Bucket: o.bucket, Key: key, ...(validRange ? { Range: validRange } : {}) }));
  } catch (err) {
    if (isS3NotFound(err)) throw notFound('The output file is gone from its bucket');
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416)
      throw new HttpProblem(416, 'Range not satisfiable');
    throw err;
  }
  res.status(obj.ContentRange ? 206 : 200).set({
    'Content-Type': contentTypeOf(key) ?? obj.ContentType ?? 'application/octet-stream',
    'Cache-Control': 'private, max-age=60',
    'Accept-Ranges': 'bytes',
    ...(obj.ContentRange ? { 'Content-Range': obj.ContentRange } : {}),
    ...(obj.ContentLength !== undefined ? { 'Content-Length': String(obj.ContentLength) } : {}),
  });
  try {
    await pipeline(obj.Body as Readable, res);
  } catch (err) {
    // The viewer went away mid-file (seeking, closing the page): nothing to tell anyone.
    if (!res.destroyed) throw Object.assign(new Error('output streaming failed'), { cause: errorInfo(err) });
  }
}
