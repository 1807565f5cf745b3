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

export interface SentMessage {
  key: string;
  /** The CT message type the key stands for. */
  type: string;
  /** What it was about: "VIDEO sd.mp4", "validation", "the job". */
  about: string;
}

const ACTIVITY_TYPES: Record<string, string> = {
  started: 'ACTIVITY_STARTED',
  preparing: 'ACTIVITY_PREPARING',
  finishing: 'ACTIVITY_FINISHING',
  completed: 'ACTIVITY_COMPLETED',
  failed: 'ACTIVITY_FAILED',
  canceled: 'ACTIVITY_CANCELED',
  timeout: 'ACTIVITY_TIMEOUT',
};
const END_TYPES: Record<string, string> = { Succeeded: 'JOB_COMPLETED', Failed: 'JOB_FAILED', Canceled: 'JOB_CANCELED' };

/** Reads a status.published key (lib/ct/events.ts names them) back as the message it records. */
export function sentMessage(job: TranscodeJob, key: string): SentMessage {
  const parts = key.split(':');
  const outputName = (index: number) => {
    const o = job.spec.job.outputs[index];
    return o ? `${o.output_type} ${o.output_file.slice(o.output_file.lastIndexOf('/') + 1)}` : `output ${index}`;
  };
  if (key === 'job:started') return { key, type: 'JOB_STARTED', about: 'the job' };
  if (key === 'job:end') return { key, type: END_TYPES[job.status?.phase ?? ''] ?? 'JOB_END', about: 'the job' };
  if (parts[0] === 'validate') return { key, type: ACTIVITY_TYPES[parts[1] ?? ''] ?? key, about: 'input validation' };
  if (parts[0] === 'output') return { key, type: 'ACTIVITY_FAILED', about: outputName(Number(parts[1])) };
  const task = job.status?.tasks?.find((t) => t.uuid === parts[0]);
  const detail = task?.name.match(/^output \d+ [A-Z]+ (.+)$/)?.[1];
  const about = task ? `${outputName(task.outputIndex)}${detail ? ` ${detail}` : ''}` : `task ${parts[0]?.slice(0, 8)}`;
  const attempt = parts[2] !== undefined && parts[1] !== 'timeout' ? ` (attempt ${Number(parts[2]) + 1})` : '';
  return { key, type: ACTIVITY_TYPES[parts[1] ?? ''] ?? key, about: `${about}${attempt}` };
}

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
  /** The client messages recorded in status.published, in order (progress messages are never recorded). */
  published: SentMessage[];
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
    published: (st?.published ?? []).map((key) => sentMessage(job, key)),
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
