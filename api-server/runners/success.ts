// POST /jobs/:uuid/success (peertube-runner-reference §2.10): the multipart body is streamed part by
// part to S3 at the task's placement (lib-storage Upload, bounded memory). Order of effects, so a
// result is acknowledged only once it is durable: authenticate on the first file part (the runner
// sends its token fields first) → COMPLETING (the atomic guard against a second success: the loser
// gets 409) → store every file → COMPLETED with the result location (children become pending).
// A failed or incomplete upload puts the task back to PROCESSING so the runner's /error or a retry
// still works.
import type { Request, Response } from 'express';
import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import { basename } from 'node:path';
import type { FileInfo } from 'busboy';
import { completeTask, startCompleting, type TransitionResult } from '../../lib/jobs/task-state.js';
import { SUCCESS_FILES, type RunnerJobType } from '../../lib/schema/runner-jobs.js';
import { TaskState, type TaskStatus, type TranscodeJob, type TranscodeJobStatus } from '../../lib/schema/transcode-job.js';
import type { TranscodeRunner } from '../../lib/schema/transcode-runner.js';
import { errorInfo, type Logger } from '../../lib/log.js';
import { parseMultipart, tooLarge } from '../multipart.js';
import { HttpProblem, badRequest, notProcessing } from '../problem.js';
import { JobTokensBody, parseBody } from '../schemas.js';
import { contentTypeOf, type Storage } from '../s3.js';
import type { RunnerAuth } from './auth.js';
import type { TaskWriter } from './transitions.js';
import { MAX_PLAYLIST_BYTES, isSafeFileName, rewritePlaylist } from './playlist.js';

export interface SuccessDeps {
  auth: RunnerAuth;
  writer: TaskWriter;
  storage: Storage;
  log: Logger;
  maxUploadBytes: number;
}

/** COMPLETING → PROCESSING: the upload did not finish, the runner still owns the task. */
export function revertCompleting(status: TranscodeJobStatus, uuid: string, now: string): TransitionResult {
  const task = status.tasks?.find((t) => t.uuid === uuid);
  if (!task) return { ok: false, error: 'unknown_task' };
  if (task.state !== TaskState.COMPLETING) return { ok: false, error: 'not_processing', task };
  task.state = TaskState.PROCESSING;
  task.updatedAt = now;
  return { ok: true, task };
}

async function readSmall(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > max) {
      stream.destroy();
      throw badRequest(`Playlist is larger than ${max} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

interface Ctx {
  runner: TranscodeRunner;
  job: TranscodeJob;
  task: TaskStatus;
}

export async function handleSuccess(req: Request, res: Response, uuid: string, deps: SuccessDeps): Promise<void> {
  const { auth, writer, storage, log } = deps;
  let ctx: Ctx | undefined;
  let completing = false;
  const keys: string[] = [];
  const received = new Set<string>();
  let size = 0;
  const tlog = log.child({ task: uuid });

  const authenticate = async (fields: Readonly<Record<string, string>>): Promise<Ctx> => {
    if (ctx) return ctx;
    const f = parseBody(JobTokensBody, 'success fields', { runnerToken: fields['runnerToken'], jobToken: fields['jobToken'] });
    const found = await auth.requireRunnerJob(uuid, f.runnerToken, f.jobToken);
    if (found.task.state === TaskState.COMPLETING) throw notProcessing(409);
    if (found.task.state !== TaskState.PROCESSING) throw notProcessing(400);
    ctx = found;
    return found;
  };

  const beginCompleting = async (c: Ctx): Promise<void> => {
    if (completing) return;
    const out = await writer.apply(c.job, (s, now) => startCompleting(s, uuid, now));
    if (!out) throw new HttpProblem(404, 'Unknown runner job');
    if (!out.result.ok) throw notProcessing(409); // another success (or a cancel) got there first
    completing = true;
    c.job = out.job;
    c.task = out.result.task;
  };

  const onFile = async (field: string, stream: Readable, info: FileInfo, fields: Readonly<Record<string, string>>): Promise<void> => {
    let c: Ctx;
    try {
      c = await authenticate(fields);
    } catch (err) {
      stream.resume();
      throw err;
    }
    const placement = c.task.placement;
    const spec = SUCCESS_FILES[c.task.type as RunnerJobType];
    let key = placement.files?.[field];
    if (!key && spec?.multiple === field && placement.prefix !== undefined) {
      if (!isSafeFileName(info.filename ?? '')) {
        stream.resume();
        throw badRequest(`File name ${JSON.stringify(info.filename)} of ${field} is not a safe file name`);
      }
      key = placement.prefix + info.filename;
    }
    if (!key) {
      tlog.warn({ field, filename: info.filename }, 'success file field not expected for this task; ignored');
      stream.resume();
      return;
    }
    await beginCompleting(c);
    const put = { storageClass: placement.storageClass, sse: placement.sse, contentType: contentTypeOf(key) ?? info.mimeType };
    const opts = Object.fromEntries(Object.entries(put).filter(([, v]) => v !== undefined));
    if (field === 'payload[resolutionPlaylistFile]' && placement.rewritePlaylist) {
      const videoKey = placement.files?.['payload[videoFile]'];
      const text = (await readSmall(stream, MAX_PLAYLIST_BYTES)).toString('utf8');
      const body = Buffer.from(videoKey ? rewritePlaylist(text, basename(videoKey)) : text, 'utf8');
      size += await storage.putStream(placement.bucket, key, ReadableStream.from([body]), opts);
    } else {
      size += await storage.putStream(placement.bucket, key, stream, opts);
    }
    keys.push(key);
    received.add(field);
    tlog.info({ field, bucket: placement.bucket, key }, 'success file stored');
  };

  try {
    if (Number(req.headers['content-length'] ?? 0) > deps.maxUploadBytes * 4) throw tooLarge(deps.maxUploadBytes);
    const fields = await parseMultipart(req, { maxFileBytes: deps.maxUploadBytes, onFile });
    const c = await authenticate(fields);
    const spec = SUCCESS_FILES[c.task.type as RunnerJobType];
    const missing = (spec?.required ?? []).filter((f) => !received.has(f));
    if (spec?.multiple && !received.has(spec.multiple)) missing.push(spec.multiple);
    if (missing.length) throw badRequest(`Payload is invalid: missing ${missing.join(', ')}`);
    await beginCompleting(c);
    const out = await writer.apply(c.job, (s, now) => completeTask(s, uuid, { bucket: c.task.placement.bucket, keys, size }, now));
    if (!out || !out.result.ok) throw notProcessing(409);
    completing = false;
    writer.forget(uuid);
    tlog.info({ keys, size }, 'task completed');
    res.status(204).end();
  } catch (err) {
    if (completing && ctx) {
      const job = ctx.job;
      await writer
        .apply(job, (s, now) => revertCompleting(s, uuid, now))
        .catch((e: unknown) => tlog.error({ err: errorInfo(e) }, 'could not put the task back to processing after a failed success'));
    }
    if (!(err instanceof HttpProblem)) tlog.error({ err: errorInfo(err) }, 'storing the success files failed');
    throw err instanceof HttpProblem ? err : new HttpProblem(502, `Storing the result failed: ${(err as Error).message}`);
  }
}
