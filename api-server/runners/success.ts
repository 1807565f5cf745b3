// POST /jobs/:uuid/success (docs/peertube-runner-protocol.md §8): the multipart body is streamed part by
// part to S3 at the task's placement (lib-storage Upload, bounded memory). Order of effects, so a
// result is acknowledged only once it is durable: authenticate on the first file part (the runner
// sends its token fields first) → COMPLETING (the atomic guard against a second success: the loser
// gets 409) → store every file → COMPLETED with the result location (children become pending).
// Any number of files (interval thumbnails) may come in one request, up to MAX_RESULT_FILES; long
// key lists are recorded as a manifest object (lib/jobs/status-limits.ts). A failed or incomplete
// upload is undone as one story once every part has settled: the files it stored are removed and the
// task goes back to PROCESSING, so the runner's /error or a retry still works — never a task left in
// COMPLETING or a stray file. Upstream errors reach the runner as problems without internals.
// Our runner may instead send a file as a part upload (runners/ct-uploads.ts) and name it in the
// `ctUploads` field: it counts as received and is completed once COMPLETING is written.
import type { Request, Response } from 'express';
import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import { basename } from 'node:path';
import type { FileInfo } from 'busboy';
import { completeTask, failCompleting, revertCompleting, startCompleting } from '../../lib/peertube/task-state.js';
import { MAX_RESULT_FILES, boundKeys, manifestKey, needsManifest } from '../../lib/jobs/status-limits.js';
import { isRequestTooLarge } from '../../lib/kube/client.js';
import { SUCCESS_FILES, type RunnerJobType } from '../../lib/peertube/job-types.js';
import { JobTokensBody } from '../../lib/peertube/wire.js';
import { TaskState, type TaskStatus, type TranscodeJob } from '../../lib/schema/transcode-job.js';
import type { TranscodeRunner } from '../../lib/schema/transcode-runner.js';
import { errorInfo, type Logger } from '../../lib/log.js';
import { parseMultipart, tooLarge } from '../multipart.js';
import { HttpProblem, badRequest, notProcessing } from '../problem.js';
import { parseBody } from '../schemas.js';
import { contentTypeOf, type Storage } from '../s3.js';
import type { RunnerAuth } from './auth.js';
import type { TaskWriter, Transition } from './transitions.js';
import { upstreamProblem } from '../upstream.js';
import { MAX_PLAYLIST_BYTES, isSafeFileName, rewritePlaylist } from './playlist.js';
import { playlistMediaField } from '../../lib/jobs/placement.js';
import { abortUploads, assertDeclaredUpload, claimedUploads, completeUpload, type ClaimedUpload } from './ct-uploads.js';

export interface SuccessDeps {
  auth: RunnerAuth;
  writer: TaskWriter;
  storage: Storage;
  log: Logger;
  maxUploadBytes: number;
}

const UNDO_ATTEMPTS = 6;
/** Parallel deletes while undoing a success (thousands of frames must not flood S3). */
const DELETE_BATCH = 16;
const TOO_LARGE = 'the job status would exceed its size limit';

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
  let uploads: ClaimedUpload[] = [];
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
    // Recorded before the upload starts: a failed request removes what it may have left behind.
    keys.push(key);
    const mediaField = playlistMediaField(placement, field);
    if (mediaField) {
      const videoKey = placement.files?.[mediaField];
      const text = (await readSmall(stream, MAX_PLAYLIST_BYTES)).toString('utf8');
      const body = Buffer.from(videoKey ? rewritePlaylist(text, basename(videoKey)) : text, 'utf8');
      size += await storage.putStream(placement.bucket, key, ReadableStream.from([body]), opts);
    } else {
      size += await storage.putStream(placement.bucket, key, stream, opts);
    }
    received.add(field);
    tlog.debug({ field, bucket: placement.bucket, key }, 'success file stored');
  };

  try {
    if (Number(req.headers['content-length'] ?? 0) > deps.maxUploadBytes * 4) throw tooLarge(deps.maxUploadBytes);
    // parseMultipart settles only after the part in progress settled: `completing` and `keys` are final here.
    const fields = await parseMultipart(req, { maxFileBytes: deps.maxUploadBytes, maxFiles: MAX_RESULT_FILES, onFile });
    const c = await authenticate(fields);
    const spec = SUCCESS_FILES[c.task.type as RunnerJobType];
    uploads = claimedUploads(fields, c.task);
    for (const u of uploads) {
      assertDeclaredUpload(u, deps.maxUploadBytes);
      if (received.has(u.field)) throw badRequest(`${u.field} was sent both as a file and as an upload`);
      received.add(u.field);
    }
    const missing = (spec?.required ?? []).filter((f) => !received.has(f));
    if (spec?.multiple && !received.has(spec.multiple)) missing.push(spec.multiple);
    if (missing.length) throw badRequest(`Payload is invalid: missing ${missing.join(', ')}`);
    await beginCompleting(c);
    for (const u of uploads) {
      keys.push(u.key); // before completing: a later failure removes the object
      size += await completeUpload(storage, u);
    }
    const result = await storeResult(storage, c.task.placement, keys, size);
    const out = await writer.apply(c.job, (s, now) => completeTask(s, uuid, result, now));
    if (!out || !out.result.ok) throw notProcessing(409);
    completing = false;
    writer.forget(uuid);
    tlog.info({ files: keys.length, manifest: result.manifest, size }, 'task completed');
    res.status(204).end();
  } catch (err) {
    if (!(err instanceof HttpProblem)) tlog.error({ err: errorInfo(err) }, 'storing the success files failed');
    if (completing && ctx) await undoCompleting(deps, ctx, uuid, keys, tlog, err);
    await abortUploads(storage, uploads, tlog);
    throw upstreamProblem(err, { action: 'Storing the result' });
  }
}

/** The task result as status holds it: long key lists go to a manifest object beside the keys. */
async function storeResult(
  storage: Storage,
  placement: TaskStatus['placement'],
  keys: readonly string[],
  size: number,
): Promise<NonNullable<TaskStatus['result']>> {
  const bounded = boundKeys(keys);
  if (bounded.manifest) {
    const body = Buffer.from(JSON.stringify(keys), 'utf8');
    await storage.putStream(placement.bucket, bounded.manifest, ReadableStream.from([body]), {
      contentType: 'application/json',
      ...(placement.storageClass ? { storageClass: placement.storageClass } : {}),
      ...(placement.sse ? { sse: placement.sse } : {}),
    });
  }
  return { bucket: placement.bucket, ...bounded, size };
}

/**
 * A success that failed after COMPLETING was written: while the task is still ours (COMPLETING, so
 * nobody else writes its keys) the files this request stored are removed, then the task goes back
 * to PROCESSING (the runner may retry or report an error). A result status that cannot be written
 * because the job is too large can never be stored: the task errors for good instead of looping.
 */
async function undoCompleting(
  deps: SuccessDeps,
  ctx: Ctx,
  uuid: string,
  keys: readonly string[],
  tlog: Logger,
  cause: unknown,
): Promise<void> {
  const { storage, writer } = deps;
  const bucket = ctx.task.placement.bucket;
  const stored = [...new Set(keys), ...(needsManifest(keys) ? [manifestKey(keys)] : [])];
  for (let i = 0; i < stored.length; i += DELETE_BATCH) {
    await Promise.all(
      stored
        .slice(i, i + DELETE_BATCH)
        .map((key) =>
          storage
            .delete(bucket, key)
            .catch((e: unknown) => tlog.warn({ key, err: errorInfo(e) }, 'could not remove a file of a failed success')),
        ),
    );
  }
  const terminal = isRequestTooLarge(cause);
  const undo: Transition = terminal
    ? (s, now) => failCompleting(s, uuid, `the result cannot be recorded: ${TOO_LARGE}`, now)
    : (s, now) => revertCompleting(s, uuid, now);
  for (let attempt = 1; ; attempt++) {
    try {
      await writer.apply(ctx.job, undo);
      if (terminal) tlog.warn('task failed: its result does not fit in the job status');
      return;
    } catch (e) {
      if (attempt >= UNDO_ATTEMPTS) {
        // Last resort: the watchdog requeues COMPLETING tasks that stay untouched (lostCompletions).
        tlog.error({ err: errorInfo(e), attempts: attempt }, 'could not take back the completion of a failed success');
        return;
      }
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
}
