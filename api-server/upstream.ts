// The one mapping from errors of the services behind the api-server (kube-apiserver, S3, the network)
// to problem documents. Their messages carry internals — the kube-apiserver URL, raw response
// headers, bucket names of other tenants, stack traces — so no upstream text is ever copied into a
// body: the status code and a fixed sentence are chosen from the error's class, and the full error
// goes to the log only (the caller logs it with its context).
import { ConflictError } from '../lib/kube/status.js';
import { isRequestTooLarge, statusOf } from '../lib/kube/client.js';
import { HttpProblem } from './http-problem.js';

export interface UpstreamContext {
  /** What a 404 from the cluster means here, e.g. `Namespace "x" does not exist`. */
  notFound?: string;
  /** What was being done, e.g. "Storing the result": the start of every detail. */
  action?: string;
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

function s3Status(err: unknown): number | undefined {
  const meta = (err as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata;
  return typeof meta?.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
}

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK.has(code)) return code;
  }
  return undefined;
}

/** An HttpProblem as is; anything else becomes a problem without upstream internals. */
export function upstreamProblem(err: unknown, ctx: UpstreamContext = {}): HttpProblem {
  if (err instanceof HttpProblem) return err;
  const action = ctx.action ?? 'The request';
  const unavailable = (what: string) => new HttpProblem(503, `${action} failed: ${what} is unavailable, try again later`);
  if (err instanceof ConflictError) return new HttpProblem(503, `${action} failed: too many concurrent changes, try again later`);
  if (isRequestTooLarge(err)) return new HttpProblem(413, `${action} failed: the job's state would exceed its size limit`);
  const kube = statusOf(err);
  if (kube !== undefined) {
    if (kube === 404) return new HttpProblem(404, ctx.notFound ?? `${action} failed: the object does not exist`);
    if (kube === 409) return new HttpProblem(409, `${action} failed: the object changed or already exists`);
    if (kube === 400 || kube === 422) return new HttpProblem(422, `${action} failed: the cluster rejected the change as invalid`);
    if (kube === 401 || kube === 403) return new HttpProblem(502, `${action} failed: the api-server is not allowed to do this`);
    if (kube === 429 || kube >= 500) return unavailable('the cluster API');
    return new HttpProblem(502, `${action} failed: unexpected answer from the cluster API`);
  }
  const s3 = s3Status(err);
  if (s3 !== undefined || (err as { $fault?: unknown } | undefined)?.$fault !== undefined) {
    if (s3 === 503 || s3 === 429 || (s3 ?? 0) >= 500) return unavailable('object storage');
    return new HttpProblem(502, `${action} failed: object storage refused the operation`);
  }
  if (networkCode(err)) return unavailable('a backing service');
  return new HttpProblem(500, `${action} failed: internal error`);
}
