// Part upload of a result file (lib/peertube/part-upload.ts, docs/streaming-io.md), for our runner:
// create an S3 multipart upload at the task's placement key, take parts in any order, abort. Each
// part is held in memory (≤ MAX_PART_BYTES) and its SHA-256 checked before it reaches S3, so a part
// damaged or cut short on the way is refused with the numbers. Stateless: the upload id is the
// runner's to keep; S3 binds it to the key, which only the task's placement gives, so a runner can
// reach nothing but its own task's result. The success (runners/success.ts) completes the upload
// with `completeUploads` after checking the part list against what S3 holds.
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { Readable } from 'node:stream';
import { playlistMediaField } from '../../lib/jobs/placement.js';
import { SUCCESS_FILES, type RunnerJobType } from '../../lib/peertube/job-types.js';
import {
  AbortUploadBody,
  CreateUploadBody,
  MAX_PARTS,
  MAX_PART_BYTES,
  PART_FILE_FIELD,
  PART_UPLOAD_ROUTES as R,
  PartFields,
  SUCCESS_UPLOADS_FIELD,
  SuccessUploads,
  partListProblem,
  type CreateUploadResult,
  type PartResult,
  type UploadedFile,
} from '../../lib/peertube/part-upload.js';
import { TaskState, type TaskStatus } from '../../lib/schema/transcode-job.js';
import { errorInfo, type Logger } from '../../lib/log.js';
import { isS3NotFound } from '../../lib/aws/errors.js';
import { parseMultipart, tooLarge } from '../multipart.js';
import { HttpProblem, badRequest, notProcessing } from '../problem.js';
import { parseBody } from '../schemas.js';
import { contentTypeOf, type PutOptions, type Storage } from '../s3.js';
import { upstreamProblem } from '../upstream.js';
import { jobUuid, type JobsDeps } from './jobs.js';

/** Where a task's single-file result field is stored, or a 400 saying why it cannot take a part upload. */
function targetOf(task: TaskStatus, field: string): { bucket: string; key: string; put: PutOptions } {
  const placement = task.placement;
  const key = placement.files?.[field];
  const spec = SUCCESS_FILES[task.type as RunnerJobType];
  // Playlists are rewritten on the way in and file lists name their keys per file: both need the success body.
  if (!key || spec?.multiple === field || playlistMediaField(placement, field)) {
    throw badRequest(`${field} of a ${task.type} task cannot be sent as a part upload`);
  }
  const put = { storageClass: placement.storageClass, sse: placement.sse, contentType: contentTypeOf(key) };
  return { bucket: placement.bucket, key, put: Object.fromEntries(Object.entries(put).filter(([, v]) => v !== undefined)) };
}

async function processingTask(deps: JobsDeps, uuid: string, body: { runnerToken: string; jobToken: string }): Promise<TaskStatus> {
  const { task } = await deps.auth.requireRunnerJob(uuid, body.runnerToken, body.jobToken);
  if (task.state !== TaskState.PROCESSING) throw notProcessing();
  return task;
}

function uploadIdOf(req: Request): string {
  const id = String(req.params['uploadId'] ?? '');
  if (!id || id.length > 1024) throw badRequest('uploadId is missing or too long');
  return id;
}

/** S3 no longer knows the upload (aborted, completed, or never for this key). */
const noSuchUpload = () => new HttpProblem(404, 'Unknown upload: it was aborted or completed, or belongs to another file');

async function readPart(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function create(req: Request, res: Response, deps: JobsDeps): Promise<void> {
  const uuid = jobUuid(req);
  const body = parseBody(CreateUploadBody, 'upload body', req.body);
  const target = targetOf(await processingTask(deps, uuid, body), body.field);
  try {
    const uploadId = await deps.storage.createMultipart(target.bucket, target.key, target.put);
    deps.log.debug({ task: uuid, field: body.field, key: target.key }, 'part upload created');
    res.json({ uploadId } satisfies CreateUploadResult);
  } catch (err) {
    deps.log.error({ task: uuid, err: errorInfo(err) }, 'creating a part upload failed');
    throw upstreamProblem(err, { action: 'Creating the upload' });
  }
}

async function part(req: Request, res: Response, deps: JobsDeps): Promise<void> {
  const uuid = jobUuid(req);
  const uploadId = uploadIdOf(req);
  const n = Number(req.params['partNumber']);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARTS) throw badRequest(`partNumber must be an integer from 1 to ${MAX_PARTS}`);
  let etag: string | undefined;
  await parseMultipart(req, {
    maxFileBytes: MAX_PART_BYTES,
    maxFiles: 1,
    onFile: async (name, stream, _info, fields) => {
      if (name !== PART_FILE_FIELD) {
        stream.resume();
        throw badRequest(`Unexpected file field ${name}: a part request carries one file part named ${PART_FILE_FIELD}`);
      }
      let f: PartFields;
      let target: ReturnType<typeof targetOf>;
      try {
        f = parseBody(PartFields, 'part fields', { ...fields, size: Number(fields['size']) });
        target = targetOf(await processingTask(deps, uuid, f), f.field);
      } catch (err) {
        stream.resume();
        throw err;
      }
      const data = await readPart(stream);
      const sha = createHash('sha256').update(data).digest('hex');
      if (data.length !== f.size || sha !== f.sha256) {
        throw badRequest(
          `Part ${n} of ${f.field} is damaged or truncated: received ${data.length} bytes with SHA-256 ${sha}, ` +
            `the runner sent ${f.size} bytes with SHA-256 ${f.sha256}`,
        );
      }
      try {
        etag = await deps.storage.uploadPart(target.bucket, target.key, uploadId, n, data, sha);
      } catch (err) {
        if (isS3NotFound(err)) throw noSuchUpload();
        deps.log.error({ task: uuid, part: n, err: errorInfo(err) }, 'storing an upload part failed');
        throw upstreamProblem(err, { action: 'Storing the part' });
      }
    },
  });
  if (etag === undefined) throw badRequest(`The part request has no file part named ${PART_FILE_FIELD}`);
  res.json({ etag } satisfies PartResult);
}

async function abort(req: Request, res: Response, deps: JobsDeps): Promise<void> {
  const uuid = jobUuid(req);
  const uploadId = uploadIdOf(req);
  const body = parseBody(AbortUploadBody, 'upload body', req.body);
  // Any state: a runner cleans up after a failed success too, when the task may have moved on.
  const { task } = await deps.auth.requireRunnerJob(uuid, body.runnerToken, body.jobToken);
  const target = targetOf(task, body.field);
  try {
    await deps.storage.abortMultipart(target.bucket, target.key, uploadId);
  } catch (err) {
    if (!isS3NotFound(err)) throw upstreamProblem(err, { action: 'Aborting the upload' });
  }
  res.status(204).end();
}

/** The part-upload routes, mounted beside the runner routes (RUNNER_API). */
export function partUploadRouter(deps: JobsDeps): Router {
  const r = Router();
  r.post(R.create, (req, res) => create(req, res, deps));
  r.post(R.part, (req, res) => part(req, res, deps));
  r.post(R.abort, (req, res) => abort(req, res, deps));
  return r;
}

export interface ClaimedUpload extends UploadedFile {
  bucket: string;
  key: string;
}

/** The uploads a success names (its SUCCESS_UPLOADS_FIELD), resolved to their keys; [] when it names none. */
export function claimedUploads(fields: Readonly<Record<string, string>>, task: TaskStatus): ClaimedUpload[] {
  const raw = fields[SUCCESS_UPLOADS_FIELD];
  if (raw === undefined) return [];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw badRequest(`${SUCCESS_UPLOADS_FIELD} is not JSON`);
  }
  const uploads = parseBody(SuccessUploads, SUCCESS_UPLOADS_FIELD, json);
  const seen = new Set<string>();
  return uploads.map((u) => {
    if (seen.has(u.field)) throw badRequest(`${SUCCESS_UPLOADS_FIELD} names ${u.field} twice`);
    seen.add(u.field);
    const { bucket, key } = targetOf(task, u.field);
    return { ...u, bucket, key };
  });
}

/** A claimed upload whose part list cannot be the file, or too large, is a 400/413 naming why. */
export function assertDeclaredUpload(u: ClaimedUpload, maxBytes: number): void {
  const problem = partListProblem(u);
  if (problem) throw badRequest(`Upload of ${u.field} refused: ${problem}`);
  if (u.size > maxBytes) throw tooLarge(maxBytes);
}

/**
 * Completes one claimed upload once S3 holds exactly the declared parts (same numbers, sizes and
 * ETags: the parts whose hashes were checked on arrival); returns its size. A mismatch is a 400
 * naming the first difference.
 */
export async function completeUpload(storage: Storage, u: ClaimedUpload): Promise<number> {
  let held: Awaited<ReturnType<Storage['listParts']>>;
  try {
    held = await storage.listParts(u.bucket, u.key, u.uploadId);
  } catch (err) {
    if (isS3NotFound(err)) throw noSuchUpload();
    throw err;
  }
  const byNumber = new Map(held.map((p) => [p.partNumber, p]));
  for (const p of u.parts) {
    const h = byNumber.get(p.partNumber);
    if (!h) throw badRequest(`Upload of ${u.field} refused: part ${p.partNumber} never arrived`);
    if (h.size !== p.size || h.etag !== p.etag) {
      throw badRequest(
        `Upload of ${u.field} refused: part ${p.partNumber} in storage (${h.size} bytes) is not the one declared (${p.size} bytes)`,
      );
    }
  }
  await storage.completeMultipart(u.bucket, u.key, u.uploadId, u.parts);
  return u.size;
}

/** Best effort after a failed success: uploads not completed are aborted (their parts cost storage). */
export async function abortUploads(storage: Storage, uploads: readonly ClaimedUpload[], log: Logger): Promise<void> {
  await Promise.all(
    uploads.map((u) =>
      storage.abortMultipart(u.bucket, u.key, u.uploadId).catch((e: unknown) => {
        if (!isS3NotFound(e)) log.warn({ key: u.key, err: errorInfo(e) }, 'could not abort the part upload of a failed success');
      }),
    ),
  );
}
