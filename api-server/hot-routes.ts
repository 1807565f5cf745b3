// The three runner routes every runner calls in a loop — jobs/request, accept, update — served by
// a small node:http dispatch in front of express: express's router, body parser and response
// helpers were most of a jobs/request's cost (issue 15). Only canonical requests take this path:
// the exact path, and a JSON body with a Content-Length, charset UTF-8 or none and no content
// encoding (a multipart body for update). Everything else falls through to express, which serves
// every route as before with the same handlers (api-server/runners/jobs.ts), so answers are the
// same bytes either way; the hot path only skips what those requests do not need.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express, Request } from 'express';
import { PROBLEM_CONTENT_TYPE } from '../lib/peertube/problems.js';
import { RUNNER_API, RUNNER_ROUTES as R } from '../lib/peertube/routes.js';
import type { Logger } from '../lib/log.js';
import { routeMetrics } from './metrics.js';
import { HttpProblem, INVALID_JSON, problemJson, problemOf } from './problem.js';
import { serveAccept, serveRequest, serveUpdate, type ClientIp, type JobsDeps } from './runners/jobs.js';
import { isUuid } from './schemas.js';

/** express.json({ limit: '1mb' }) in app.ts. */
export const JSON_BODY_LIMIT = 1024 * 1024;

const REQUEST_PATH = RUNNER_API + R.request;
const JOBS_PREFIX = `${RUNNER_API}/jobs/`;
const JSON_TYPE = /^application\/json[ \t]*(?:;[ \t]*charset=(?:utf-8|"utf-8")[ \t]*)?$/i;
const MULTIPART_TYPE = /^multipart\/form-data[ \t]*;/i;

type HotRoute = 'request' | 'accept' | 'update';
const ROUTE_LABELS: Record<HotRoute, string> = {
  request: RUNNER_API + R.request,
  accept: RUNNER_API + R.accept,
  update: RUNNER_API + R.update,
};

/** A body express.json() would read as plain UTF-8 JSON, in full, with nothing else to undo. */
function isPlainJson(req: IncomingMessage): boolean {
  const { headers } = req;
  const length = headers['content-length'];
  if (length === undefined || headers['transfer-encoding'] !== undefined || Number(length) > JSON_BODY_LIMIT) return false;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  return JSON_TYPE.test(headers['content-type'] ?? '');
}

/** The hot route `req` is for, or undefined: express serves it. */
function match(req: IncomingMessage): { route: HotRoute; uuid: string } | undefined {
  if (req.method !== 'POST') return undefined;
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path === REQUEST_PATH) return isPlainJson(req) ? { route: 'request', uuid: '' } : undefined;
  if (!path.startsWith(JOBS_PREFIX)) return undefined;
  const rest = path.slice(JOBS_PREFIX.length);
  const slash = rest.indexOf('/');
  const uuid = rest.slice(0, slash);
  if (slash < 0 || !isUuid(uuid)) return undefined; // express answers a bad :jobUUID
  const action = rest.slice(slash + 1);
  if (action === 'accept' && isPlainJson(req)) return { route: 'accept', uuid };
  if (action === 'update' && MULTIPART_TYPE.test(req.headers['content-type'] ?? '')) return { route: 'update', uuid };
  return undefined;
}

/** The body as express.json() parses it: UTF-8 (BOM dropped), empty = {}, only an object or array. */
function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      let text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.length === 0) return resolve({});
      const first = text.trimStart()[0];
      if (first !== '{' && first !== '[') return reject(new HttpProblem(400, INVALID_JSON));
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpProblem(400, INVALID_JSON));
      }
    });
  });
}

/** express's req.ip (its `trust proxy` setting applied) for a request express never saw. */
function expressIp(app: Express, req: IncomingMessage): ClientIp {
  return () => (Object.create(app.request, { headers: { value: req.headers }, socket: { value: req.socket } }) as Request).ip;
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8' };
const PROBLEM_HEADERS = { 'Content-Type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8` };

/** The request listener: hot routes here, everything else to `app`. */
export function hotRoutes(deps: JobsDeps, app: Express): RequestListener {
  const metrics = routeMetrics();
  const send = (res: ServerResponse, status: number, headers: Record<string, string>, body?: Buffer | string) => {
    if (body === undefined) res.writeHead(status).end();
    else res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) }).end(body);
  };
  const serve = async (route: HotRoute, uuid: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (route === 'request') return send(res, 200, JSON_HEADERS, await serveRequest(deps, await readJson(req), expressIp(app, req)));
    if (route === 'accept') return send(res, 200, JSON_HEADERS, JSON.stringify(await serveAccept(deps, uuid, await readJson(req))));
    await serveUpdate(deps, uuid, req, expressIp(app, req));
    send(res, 204, {});
  };
  return (req, res) => {
    const hot = match(req);
    if (!hot) return void app(req, res);
    const started = performance.now();
    serve(hot.route, hot.uuid, req, res)
      .catch((err: unknown) => fail(deps.log, req, res, err))
      .finally(() => metrics.observe(ROUTE_LABELS[hot.route], res.statusCode, (performance.now() - started) / 1000));
  };
}

function fail(log: Logger, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const problem = problemOf(err, log, req.method ?? 'POST', q < 0 ? url : url.slice(0, q));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = problemJson(problem, url);
  res.writeHead(problem.status, { ...PROBLEM_HEADERS, 'Content-Length': Buffer.byteLength(body) }).end(body);
}
