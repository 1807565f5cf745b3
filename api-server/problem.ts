// RFC 7807 problem documents, shaped like PeerTube's (docs/peertube-runner-protocol.md §4): `type`,
// `title`, `status`, `detail`, `instance`, `docs` and the `code` runners react to (codes: the
// protocol's, lib/peertube/problems.ts). Handlers throw HttpProblem; the error middleware turns it
// (and anything else) into application/problem+json.
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from '../lib/log.js';
import { errorInfo } from '../lib/log.js';
import { CODES, PROBLEM_CONTENT_TYPE, PROBLEM_DOCS, problemType } from '../lib/peertube/problems.js';
import { HttpProblem } from './http-problem.js';
import { upstreamProblem } from './upstream.js';

export { HttpProblem, type ProblemCode } from './http-problem.js';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export const badRequest = (detail: string, extra?: Record<string, unknown>) => new HttpProblem(400, detail, undefined, extra);
export const notFound = (detail: string) => new HttpProblem(404, detail);
export const unknownRunnerToken = () => new HttpProblem(404, 'Unknown runner token', CODES.UNKNOWN_RUNNER_TOKEN);
export const unknownRunnerJob = () => new HttpProblem(404, 'Unknown runner job');
export const notPending = () => new HttpProblem(409, 'This runner job is not in pending state', CODES.NOT_PENDING);
export const notProcessing = (status = 400) => new HttpProblem(status, 'This runner job is not in processing state', CODES.NOT_PROCESSING);
export const invalidParams = (errors: string[]) =>
  new HttpProblem(400, `Incorrect request parameters: ${errors.join('; ')}`, 'invalid-params', { 'invalid-params': errors });

/** The problem document's JSON text (shared by express's error handler and api-server/hot-routes.ts). */
export function problemJson(p: HttpProblem, instance: string): string {
  return JSON.stringify({
    type: problemType(p.code),
    title: TITLES[p.status] ?? 'Error',
    status: p.status,
    detail: p.detail,
    instance,
    docs: PROBLEM_DOCS,
    ...(p.code ? { code: p.code } : {}),
    ...p.extra,
  });
}

export function sendProblem(res: Response, p: HttpProblem, instance: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(p.status).type(PROBLEM_CONTENT_TYPE).send(problemJson(p, instance));
}

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  message?: string;
}

/**
 * The problem answering a failed request; unexpected errors are logged with context. Upstream
 * errors (kube-apiserver, S3, network) carry URLs and headers: mapped, never echoed.
 */
export function problemOf(err: unknown, log: Logger, method: string, path: string): HttpProblem {
  if (err instanceof HttpProblem) {
    if (err.status >= 500) log.error({ method, path, status: err.status, detail: err.detail }, 'request failed');
    return err;
  }
  const bp = err as BodyParserError;
  // express.json() errors: malformed JSON, too large, wrong charset.
  if (bp && typeof bp === 'object' && typeof bp.type === 'string' && (bp.status ?? bp.statusCode)) {
    const status = bp.status ?? bp.statusCode ?? 400;
    return new HttpProblem(status, bp.type === 'entity.parse.failed' ? INVALID_JSON : (bp.message ?? 'Bad request body'));
  }
  const problem = upstreamProblem(err);
  log.error({ method, path, status: problem.status, err: errorInfo(err) }, 'request failed upstream');
  return problem;
}

/** The detail of a body that is not JSON (or not a JSON object or array). */
export const INVALID_JSON = 'Request body is not valid JSON';

/** Last middleware: every error becomes a problem document. */
export function problemHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => sendProblem(res, problemOf(err, log, req.method, req.path), req.originalUrl);
}
