// HTTP client of the PeerTube remote-runner REST API (docs/peertube-runner-protocol.md §2–8): JSON
// bodies for register/unregister/request/accept/abort/error and downloads, multipart for update and
// success, exact status codes, problem+json `code` parsed into ProtocolError. Paths, bodies and the
// answers it relies on come from the protocol's home, lib/peertube/ (the server uses the same).
import { createWriteStream, openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { validator } from '../lib/validate.js';
import { contentTypeOf } from '../lib/media/content-type.js';
import { CODES } from '../lib/peertube/problems.js';
import { StreamedUploadMismatch, streamingForm, type UploadFile } from './upload.js';
import { uploadInParts, type PartApi } from './part-upload.js';
import {
  CreateUploadResult,
  MAX_PART_BYTES,
  MIN_PART_BYTES,
  PART_FILE_FIELD,
  PART_UPLOAD_ROUTES as PR,
  PartResult,
  SUCCESS_UPLOADS_FIELD,
  type CreateUploadBody,
} from '../lib/peertube/part-upload.js';
import { RUNNER_ROUTES as R, runnerPath } from '../lib/peertube/routes.js';
import {
  AcceptResultMinimal,
  MAX_MESSAGE_LENGTH,
  RegisterResult,
  RequestResult,
  payloadField,
  type AbortBody,
  type AcceptedJob,
  type AvailableJob,
  type ErrorBody,
  type JobTokensBody,
  type RegisterBody,
  type RequestBody,
  type RunnerTokenBody,
} from '../lib/peertube/wire.js';

export type { AcceptedJob, AvailableJob };

export const RUNNER_VERSION = '0.1.0';

/** The server answered, but not with the expected status. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(
    readonly endpoint: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly detail: string,
  ) {
    super(`${endpoint}: HTTP ${status}${code ? ` (${code})` : ''}: ${detail}`);
  }
}

/** A 404 without a problem code on a ct-uploads call: the server has no such route (it is not our api-server). */
const isMissingRoute = (err: unknown): boolean =>
  err instanceof ProtocolError && err.endpoint === 'ct-uploads' && err.status === 404 && err.code === undefined;

/** The server could not be reached (connection refused, DNS, timeout, reset). */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
  constructor(
    readonly endpoint: string,
    cause: unknown,
  ) {
    const c = cause as { message?: string; cause?: { code?: string; message?: string } };
    super(`${endpoint}: server unreachable: ${c.cause?.code ?? c.cause?.message ?? c.message ?? String(cause)}`, { cause });
  }
}

const checkRegister = validator(RegisterResult, 'register response');
const checkRequest = validator(RequestResult, 'jobs/request response');
const checkAccept = validator(AcceptResultMinimal, 'accept response');
const checkCreateUpload = validator(CreateUploadResult, 'ct-uploads response');
const checkPart = validator(PartResult, 'ct-uploads part response');

/** A multipart POST to the runner API (update, success). */
interface MultipartRequest {
  /** Names the call in errors. */
  endpoint: string;
  path: string;
  fields: Record<string, string>;
  files: UploadFile[];
  signal?: AbortSignal | undefined;
}

/** A head-last file goes as a part upload when its head fits in one part. */
const asParts = (f: UploadFile): f is UploadFile & { ready: Promise<void>; headBytes: number } =>
  f.ready !== undefined && f.headBytes !== undefined && Math.max(MIN_PART_BYTES, f.headBytes) <= MAX_PART_BYTES;

const API_TIMEOUT_MS = 30_000;
/** Same limit as the official runner (v0.1.3) for input downloads; uploads get the same. */
const TRANSFER_TIMEOUT_MS = 2 * 60 * 60 * 1000;
/** Below the server's limit for `message`/`reason`, leaving room for the truncation mark. */
const MAX_TEXT = MAX_MESSAGE_LENGTH - 100;

export function truncate(text: string, max = MAX_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max - 20)}\n…[truncated]`;
}

export class ProtocolClient {
  /** Jobs whose streamed success broke mid-way: the server puts them back from COMPLETING a moment later. */
  private readonly brokenUploads = new Set<string>();
  /** Whether the server takes part uploads (our api-server does; learnt on the first refusal). */
  private partUploads: 'unknown' | 'unsupported' = 'unknown';

  constructor(readonly baseUrl: string) {}

  /** error/abort right after a broken streamed success: retry not_processing until the server has reverted the task. */
  private async afterBrokenUpload(job: AcceptedJob, call: () => Promise<unknown>): Promise<void> {
    const retries = this.brokenUploads.delete(job.uuid) ? 10 : 0;
    for (let i = 0; ; i++) {
      try {
        await call();
        return;
      } catch (err) {
        if (i >= retries || !(err instanceof ProtocolError && err.code === CODES.NOT_PROCESSING)) throw err;
        await new Promise((res) => setTimeout(res, 200));
      }
    }
  }

  private url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  private async send(endpoint: string, url: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      // API calls never follow redirects (docs/peertube-runner-protocol.md §2, PeerTube#5847): a redirect is an error to see.
      return await fetch(url, { redirect: 'manual', ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (err) {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
      throw new UnreachableError(endpoint, err);
    }
  }

  private async fail(endpoint: string, res: Response): Promise<never> {
    const text = await res.text().catch(() => '');
    let code: string | undefined;
    let detail = text.slice(0, 500) || res.statusText;
    try {
      const body = JSON.parse(text) as { code?: unknown; detail?: unknown; error?: unknown; title?: unknown };
      if (typeof body.code === 'string') code = body.code;
      const d = body.detail ?? body.error ?? body.title;
      if (typeof d === 'string') detail = d;
    } catch {
      // not JSON: keep the raw text as detail
    }
    throw new ProtocolError(endpoint, res.status, code, detail);
  }

  private async json(endpoint: string, path: string, body: object, expect: 200 | 204, signal?: AbortSignal): Promise<unknown> {
    const res = await this.send(
      endpoint,
      this.url(path),
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) },
      API_TIMEOUT_MS,
      signal,
    );
    if (expect === 204) return this.noContent(endpoint, res);
    if (res.status !== expect) return this.fail(endpoint, res);
    try {
      return await res.json();
    } catch (err) {
      throw new ProtocolError(endpoint, res.status, undefined, `response is not JSON: ${(err as Error).message}`);
    }
  }

  /** A 204 answer (its empty body released), else the server's problem thrown. */
  private async noContent(endpoint: string, res: Response): Promise<undefined> {
    if (res.status !== 204) return this.fail(endpoint, res);
    await res.body?.cancel();
    return undefined;
  }

  private async multipart(req: MultipartRequest): Promise<void> {
    const { endpoint, path, fields, files, signal } = req;
    if (files.some((f) => f.ready)) return this.streamingMultipart(req);
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    for (const f of files) {
      // openAsBlob: the file is streamed from disk while the request is sent, never held in memory.
      const blob = await openAsBlob(f.path, { type: f.contentType ?? contentTypeOf(f.filename ?? f.path) ?? 'application/octet-stream' });
      form.append(f.field, blob, f.filename ?? basename(f.path));
    }
    const res = await this.send(
      endpoint,
      this.url(path),
      { method: 'POST', body: form },
      files.length ? TRANSFER_TIMEOUT_MS : API_TIMEOUT_MS,
      signal,
    );
    await this.noContent(endpoint, res);
  }

  /** Multipart sent as a stream: files still being made go out as they are written or once ready. */
  private async streamingMultipart({ endpoint, path, fields, files, signal }: MultipartRequest): Promise<void> {
    const parts = files.map((f) => ({ ...f, ready: f.ready ?? Promise.resolve(), growing: f.growing === true }));
    const form = streamingForm(fields, parts);
    let res: Response;
    try {
      res = await this.send(
        endpoint,
        this.url(path),
        // duplex: a streamed request body (undici); no content-length, the body is chunked.
        {
          method: 'POST',
          headers: { 'content-type': form.contentType },
          body: form.body as unknown as RequestInit['body'],
          duplex: 'half',
        } as RequestInit,
        TRANSFER_TIMEOUT_MS,
        signal,
      );
    } catch (err) {
      // A file that could not be made (ffmpeg failed) is the real cause, not the broken request.
      for (const r of await Promise.allSettled(parts.map((p) => p.ready))) if (r.status === 'rejected') throw r.reason;
      const failure = form.failure();
      if (failure instanceof StreamedUploadMismatch) throw failure;
      throw err;
    }
    await this.noContent(endpoint, res);
  }

  async register(p: { registrationToken: string; name: string; description?: string }): Promise<{ id: number; runnerToken: string }> {
    const req: RegisterBody = { ...p, version: RUNNER_VERSION };
    return checkRegister.assert(await this.json('register', runnerPath(R.register, {}), req, 200));
  }

  async unregister(runnerToken: string): Promise<void> {
    const req: RunnerTokenBody = { runnerToken };
    await this.json('unregister', runnerPath(R.unregister, {}), req, 204);
  }

  /** `jobTypes` undefined: ask as an official runner does (no jobTypes, standard types only). */
  async requestJobs(runnerToken: string, jobTypes: readonly string[] | undefined): Promise<AvailableJob[]> {
    const req: RequestBody = { runnerToken, ...(jobTypes ? { jobTypes: [...jobTypes] } : {}), version: RUNNER_VERSION };
    return checkRequest.assert(await this.json('jobs/request', runnerPath(R.request, {}), req, 200)).availableJobs;
  }

  async accept(runnerToken: string, uuid: string): Promise<AcceptedJob> {
    const req: RunnerTokenBody = { runnerToken };
    return checkAccept.assert(await this.json('accept', runnerPath(R.accept, { jobUUID: uuid }), req, 200)).job;
  }

  async abort(runnerToken: string, job: AcceptedJob, reason: string): Promise<void> {
    const req: AbortBody = { runnerToken, jobToken: job.jobToken, reason: truncate(reason) };
    await this.afterBrokenUpload(job, () => this.json('abort', runnerPath(R.abort, { jobUUID: job.uuid }), req, 204));
  }

  async error(runnerToken: string, job: AcceptedJob, message: string): Promise<void> {
    const req: ErrorBody = { runnerToken, jobToken: job.jobToken, message: truncate(message) };
    await this.afterBrokenUpload(job, () => this.json('error', runnerPath(R.error, { jobUUID: job.uuid }), req, 204));
  }

  async update(runnerToken: string, job: AcceptedJob, progress: number | undefined, signal?: AbortSignal): Promise<void> {
    const fields: Record<string, string> = { runnerToken, jobToken: job.jobToken };
    if (progress !== undefined) fields['progress'] = String(Math.max(0, Math.min(100, Math.round(progress))));
    await this.multipart({ endpoint: 'update', path: runnerPath(R.update, { jobUUID: job.uuid }), fields, files: [], signal });
  }

  /** `payload` holds the non-file payload fields (flattened as payload[key]); files carry their field names. */
  async success(
    runnerToken: string,
    job: AcceptedJob,
    payload: Record<string, string | number | boolean>,
    files: UploadFile[],
  ): Promise<void> {
    const tokens: JobTokensBody = { runnerToken, jobToken: job.jobToken };
    const fields: Record<string, string> = { ...tokens };
    for (const [k, v] of Object.entries(payload)) fields[payloadField(k)] = String(v);
    const api = this.partApi(runnerToken, job);
    const wholeFile = (f: UploadFile): UploadFile => (f.headBytes !== undefined ? { ...f, growing: false } : f);
    const inParts = this.partUploads === 'unsupported' ? [] : files.filter(asParts);
    const rest = files.filter((f) => !(inParts as UploadFile[]).includes(f)).map(wholeFile);
    const sent = await Promise.allSettled(inParts.map((f) => uploadInParts(api, f)));
    // A server without the part-upload routes (not our api-server) gets the file whole, once ffmpeg is done.
    sent.forEach((r, i) => {
      if (r.status === 'rejected' && isMissingRoute(r.reason)) {
        this.partUploads = 'unsupported';
        rest.push(wholeFile(inParts[i]!));
      }
    });
    const uploads = sent.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const abortAll = () => Promise.allSettled(uploads.map((u) => api.abort(u.uploadId, u.field)));
    const failed = sent.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !isMissingRoute(r.reason));
    if (failed) {
      await abortAll();
      throw failed.reason;
    }
    if (uploads.length) fields[SUCCESS_UPLOADS_FIELD] = JSON.stringify(uploads);
    try {
      await this.multipart({ endpoint: 'success', path: runnerPath(R.success, { jobUUID: job.uuid }), fields, files: rest });
    } catch (err) {
      if (rest.some((f) => f.ready)) this.brokenUploads.add(job.uuid);
      await abortAll(); // the server aborts them too; this covers a success that never reached it
      throw err;
    }
  }

  /** The part-upload calls for one job (lib/peertube/part-upload.ts). */
  private partApi(runnerToken: string, job: AcceptedJob): PartApi {
    const jobUUID = job.uuid;
    const body = (field: CreateUploadBody['field']): CreateUploadBody => ({ runnerToken, jobToken: job.jobToken, field });
    return {
      create: async (field) =>
        checkCreateUpload.assert(await this.json('ct-uploads', runnerPath(PR.create, { jobUUID }), body(field), 200)).uploadId,
      abort: async (uploadId, field) => {
        await this.json('ct-uploads abort', runnerPath(PR.abort, { jobUUID, uploadId }), body(field), 204);
      },
      part: async (uploadId, field, partNumber, data, sha256) => {
        const endpoint = `ct-uploads part ${partNumber}`;
        const form = new FormData();
        for (const [k, v] of Object.entries({ ...body(field), size: String(data.length), sha256 })) form.append(k, v);
        form.append(PART_FILE_FIELD, new Blob([data]), 'part');
        const path = runnerPath(PR.part, { jobUUID, uploadId, partNumber: String(partNumber) });
        const res = await this.send(endpoint, this.url(path), { method: 'POST', body: form }, TRANSFER_TIMEOUT_MS);
        if (res.status !== 200) return this.fail(endpoint, res);
        return checkPart.assert(await res.json()).etag;
      },
    };
  }

  /** POSTs {runnerToken, jobToken} to an input URL, following redirects, and streams the body to `dest`. */
  async download(runnerToken: string, job: AcceptedJob, url: string, dest: string, signal?: AbortSignal): Promise<void> {
    const body = await this.openDownload(runnerToken, job, url, signal);
    await pipeline(body, createWriteStream(dest), signal ? { signal } : {});
  }

  /** Same request as `download`; resolves with the response body once the server has answered 2xx. */
  async openDownload(runnerToken: string, job: AcceptedJob, url: string, signal?: AbortSignal): Promise<Readable> {
    const endpoint = `download ${url}`;
    const res = await this.send(
      endpoint,
      url,
      {
        method: 'POST',
        redirect: 'follow',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ runnerToken, jobToken: job.jobToken } satisfies JobTokensBody),
      },
      TRANSFER_TIMEOUT_MS,
      signal,
    );
    if (!res.ok || !res.body) return this.fail(endpoint, res);
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }
}
