// Runner job endpoints (docs/peertube-runner-protocol.md §6–7): request (from the cache only), accept
// (optimistic write), abort, error, update (coalesced heartbeat) and the input downloads.
import { observeDispatch } from '../cache-metrics.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { finished } from 'node:stream/promises';
import { abortTask, errorTask } from '../../lib/peertube/task-state.js';
import { updateStatus } from '../../lib/kube/status.js';
import { PEERTUBE_JOB_TYPES } from '../../lib/peertube/job-types.js';
import {
  AbortBody,
  ErrorBody,
  JobTokensBody,
  RequestBody,
  RunnerTokenBody,
  UpdateFields,
  type RunnerJob,
} from '../../lib/peertube/wire.js';
import { TaskState, type S3Ref } from '../../lib/schema/transcode-job.js';
import type { TranscodeRunner } from '../../lib/schema/transcode-runner.js';
import { errorInfo, type Logger } from '../../lib/log.js';
import type { ApiServerConfig } from '../config.js';
import { parseMultipart } from '../multipart.js';
import { HttpProblem, badRequest, notPending, notProcessing, unknownRunnerJob } from '../problem.js';
import { isUuid, parseBody } from '../schemas.js';
import { isS3NotFound, type Storage } from '../s3.js';
import type { Store } from '../store.js';
import { newJobToken, sha256Hex } from '../tokens.js';
import type { RunnerAuth } from './auth.js';
import type { TaskWriter } from './transitions.js';
import { runnerJobView } from './view.js';
import { acceptCounter, contactWrites } from '../metrics.js';
import type { AvailableJobsPages } from './page.js';

export { MAX_AVAILABLE_JOBS } from './page.js';

export interface JobsDeps {
  kc: KubeConfig;
  config: ApiServerConfig;
  store: Store;
  auth: RunnerAuth;
  writer: TaskWriter;
  storage: Storage;
  log: Logger;
  /** Pre-serialized jobs/request answers. */
  pages: AvailableJobsPages;
}

/** The client address, computed only when needed (express's req.ip applies `trust proxy`). */
export type ClientIp = () => string | undefined;

export function jobUuid(req: Request): string {
  const uuid = String(req.params['jobUUID'] ?? '');
  if (!isUuid(uuid)) throw badRequest('jobUUID must be a UUID');
  return uuid;
}

/** What this replica last wrote (or is writing) into a runner's status, by runner key. */
interface Contact {
  at: number;
  version: string | undefined;
  jobTypes: readonly string[] | undefined;
}
const lastTouch = new Map<string, Contact>();

const sameTypes = (a: readonly string[] | undefined, b: readonly string[] | undefined) =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((t, i) => t === b[i]);

/**
 * Refreshes lastContact/ip/version (and, from jobs/request, the job types the runner asked for: the
 * operator's "is any live runner serving this type" check reads them) at most every interval per
 * runner (PeerTube: 30 s), at once when the version or the types change; never blocks the request.
 * Changes are judged against the newer of the cached status and what we last sent, so the requests
 * that arrive while a write is in flight (seconds on a busy apiserver) do not each write again.
 */
function touchRunner(deps: JobsDeps, runner: TranscodeRunner, clientIp: ClientIp, version: string | undefined, jobTypes?: string[]): void {
  const key = `${runner.metadata.namespace}/${runner.metadata.name}`;
  const sent = lastTouch.get(key);
  const cachedAt = Date.parse(runner.status?.lastContact ?? '') || 0;
  const known: Contact =
    sent && sent.at >= cachedAt ? sent : { at: cachedAt, version: runner.status?.version, jobTypes: runner.status?.jobTypes };
  const versionChanged = version !== undefined && version !== known.version;
  const typesChanged = jobTypes !== undefined && !sameTypes(jobTypes, known.jobTypes);
  if (!versionChanged && !typesChanged && Date.now() - known.at < deps.config.lastContactIntervalMs) return;
  lastTouch.set(key, { at: Date.now(), version: version ?? known.version, jobTypes: jobTypes ?? known.jobTypes });
  const ip = clientIp();
  updateStatus<TranscodeRunner>(
    deps.kc,
    'TranscodeRunner',
    runner.metadata.namespace!,
    runner.metadata.name!,
    (r) => {
      r.status = {
        ...r.status,
        lastContact: new Date().toISOString(),
        ...(ip ? { ip } : {}),
        ...(version ? { version } : {}),
        ...(jobTypes ? { jobTypes } : {}),
      };
      return true;
    },
    { current: runner },
  ).then(
    (written) => {
      contactWrites.inc({ result: written ? 'written' : 'gone' });
      if (written) deps.store.observeRunner(written);
    },
    (err: unknown) => {
      contactWrites.inc({ result: 'failed' });
      deps.log.warn({ runner: runner.metadata.name, err: errorInfo(err) }, 'lastContact update failed');
    },
  );
}

/** The types a jobs/request serves: those named, or the standard PeerTube types when none are (official runner). */
export function servedTypes(jobTypes: string[] | undefined): string[] {
  return jobTypes ? [...new Set(jobTypes)].sort() : [...PEERTUBE_JOB_TYPES];
}

/** jobs/request (docs/peertube-runner-protocol.md §6): the pre-serialized page for the runner's types. */
export async function serveRequest(deps: JobsDeps, raw: unknown, ip: ClientIp): Promise<Buffer> {
  const body = parseBody(RequestBody, 'jobs/request body', raw);
  const runner = await deps.auth.requireRunner(body.runnerToken);
  touchRunner(deps, runner, ip, body.version, servedTypes(body.jobTypes));
  // A runner that names no types is an official PeerTube runner: standard types only.
  return deps.pages.page(body.jobTypes);
}

export async function requestJobs(req: Request, res: Response, deps: JobsDeps): Promise<void> {
  res
    .status(200)
    .type('json')
    .send(await serveRequest(deps, req.body, () => req.ip));
}

/** accept: the optimistic write; the answer is the RunnerJob with its (only ever shown here) job token. */
export async function serveAccept(deps: JobsDeps, uuid: string, raw: unknown): Promise<{ job: RunnerJob & { jobToken: string } }> {
  const body = parseBody(RunnerTokenBody, 'accept body', raw);
  const runner = await deps.auth.requireRunner(body.runnerToken);
  const ref = deps.store.task(uuid);
  if (!ref) throw unknownRunnerJob();
  if (ref.task.state !== TaskState.PENDING || ref.job.spec.cancel) {
    acceptCounter.inc({ result: 'not_pending' });
    throw notPending();
  }
  const jobToken = newJobToken();
  const outcome = await deps.writer.accept(ref.job, uuid, { id: runner.metadata.name!, name: runner.spec.runnerName }, sha256Hex(jobToken));
  acceptCounter.inc({ result: outcome.ok ? 'accepted' : outcome.reason });
  if (!outcome.ok) throw outcome.reason === 'gone' ? unknownRunnerJob() : notPending();
  const task = outcome.job.status?.tasks?.find((t) => t.uuid === uuid);
  if (!task) throw unknownRunnerJob();
  observeDispatch(outcome.job, task);
  deps.log.info({ task: uuid, job: outcome.job.metadata.name, runner: runner.metadata.name }, 'task accepted');
  return { job: { ...runnerJobView(outcome.job, task, deps.config.publicUrl, runner), jobToken } };
}

export async function acceptJob(req: Request, res: Response, deps: JobsDeps): Promise<void> {
  res.status(200).json(await serveAccept(deps, jobUuid(req), req.body));
}

export async function abortJob(req: Request, res: Response, deps: JobsDeps): Promise<void> {
  const uuid = jobUuid(req);
  const body = parseBody(AbortBody, 'abort body', req.body);
  const ctx = await deps.auth.requireRunnerJob(uuid, body.runnerToken, body.jobToken);
  if (ctx.task.state !== TaskState.PROCESSING) throw notProcessing();
  const out = await deps.writer.apply(ctx.job, (s, now) => abortTask(s, uuid, now));
  if (!out) throw unknownRunnerJob();
  if (!out.result.ok) throw notProcessing();
  deps.writer.forget(uuid);
  deps.log.info({ task: uuid, runner: ctx.runner.metadata.name, reason: body.reason }, 'task aborted by its runner');
  res.status(204).end();
}

export async function errorJob(req: Request, res: Response, deps: JobsDeps): Promise<void> {
  const uuid = jobUuid(req);
  const body = parseBody(ErrorBody, 'error body', req.body);
  const ctx = await deps.auth.requireRunnerJob(uuid, body.runnerToken, body.jobToken);
  if (ctx.task.state !== TaskState.PROCESSING) throw notProcessing();
  const out = await deps.writer.apply(ctx.job, (s, now) => errorTask(s, uuid, body.message, now));
  if (!out) throw unknownRunnerJob();
  if (!out.result.ok) throw notProcessing();
  deps.writer.forget(uuid);
  deps.log.info(
    { task: uuid, runner: ctx.runner.metadata.name, message: body.message, failures: out.result.task.failures },
    'task failed on its runner',
  );
  res.status(204).end();
}

/** update: the coalesced heartbeat/progress of a processing task (multipart, as PeerTube's runner sends it). */
export async function serveUpdate(deps: JobsDeps, uuid: string, req: IncomingMessage, ip: ClientIp): Promise<void> {
  // VOD updates carry no files; live chunks are out of scope. Drain whatever comes.
  const fields = await parseMultipart(req, {
    maxFileBytes: deps.config.maxUploadBytes,
    onFile: async (_field, stream) => {
      stream.resume();
      await finished(stream);
    },
  });
  const body = parseBody(UpdateFields, 'update fields', {
    runnerToken: fields['runnerToken'],
    jobToken: fields['jobToken'],
    ...(fields['progress'] !== undefined && fields['progress'] !== '' ? { progress: fields['progress'] } : {}),
  });
  const ctx = await deps.auth.requireRunnerJob(uuid, body.runnerToken, body.jobToken);
  // A busy official runner only calls update (every 60 s): it is still alive for the operator.
  touchRunner(deps, ctx.runner, ip, undefined);
  // Newest PeerTube: an update racing the success upload is accepted and ignored.
  if (ctx.task.state === TaskState.COMPLETING) return;
  if (ctx.task.state !== TaskState.PROCESSING) throw notProcessing();
  deps.writer.recordProgress(ctx.job, uuid, body.progress !== undefined ? Number(body.progress) : undefined);
}

export async function updateJob(req: Request, res: Response, deps: JobsDeps): Promise<void> {
  await serveUpdate(deps, jobUuid(req), req, () => req.ip);
  res.status(204).end();
}

export type InputKind = 'video' | 'audio' | 'preview' | 'taskFile';

export async function downloadInput(req: Request, res: Response, deps: JobsDeps, kind: InputKind): Promise<void> {
  const uuid = jobUuid(req);
  const body = parseBody(JobTokensBody, 'download body', req.body);
  const ctx = await deps.auth.requireRunnerJob(uuid, body.runnerToken, body.jobToken);
  if (ctx.task.state !== TaskState.PROCESSING) throw notProcessing();
  if (req.params['videoId'] !== ctx.job.metadata.uid) throw new HttpProblem(403, 'Job is not associated to this video');
  const inputs = ctx.task.inputs;
  let ref: S3Ref | undefined;
  if (kind === 'video') ref = inputs.video ?? inputs.audio;
  else if (kind === 'audio') ref = inputs.audio ?? inputs.video;
  else if (kind === 'preview') ref = inputs.preview;
  else {
    const filename = String(req.params['filename'] ?? '');
    ref = inputs.taskFiles?.[filename];
    if (!ref) throw badRequest('File is not associated to this edition task');
  }
  if (!ref) throw new HttpProblem(404, 'This job has no such input file');
  if (deps.config.downloadMode === 'redirect') {
    res.redirect(302, await deps.storage.presignGet(ref.bucket, ref.key));
    return;
  }
  let object;
  try {
    object = await deps.storage.get(ref.bucket, ref.key);
  } catch (err) {
    if (isS3NotFound(err)) throw new HttpProblem(404, `Input file s3://${ref.bucket}/${ref.key} does not exist`);
    throw err;
  }
  res.status(200);
  res.setHeader('Content-Type', object.contentType ?? 'application/octet-stream');
  if (object.contentLength !== undefined) res.setHeader('Content-Length', String(object.contentLength));
  try {
    await pipeline(object.body, res);
  } catch (err) {
    deps.log.warn({ task: uuid, bucket: ref.bucket, key: ref.key, err: errorInfo(err) }, 'input download interrupted');
  }
}
