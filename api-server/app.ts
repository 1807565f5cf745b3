// The express application: routes, JSON parsing, metrics, health, problem+json errors.
// API routes never redirect (peertube-runner-reference §5.1.7): no trailing-slash or scheme
// redirects are configured anywhere.
import express, { Router, type Express, type Request, type Response } from 'express';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../lib/log.js';
import type { TranscodeRunner } from '../lib/schema/transcode-runner.js';
import type { ApiServerConfig } from './config.js';
import { adminRouter } from './admin.js';
import { consoleRouter } from './console/index.js';
import type { ConsoleFeed } from './console/feed.js';
import { registry, requestMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { HttpProblem, problemHandler } from './problem.js';
import type { RunnerAuth } from './runners/auth.js';
import { abortJob, acceptJob, downloadInput, errorJob, jobUuid, requestJobs, updateJob, type JobsDeps } from './runners/jobs.js';
import { register, unregister } from './runners/registration.js';
import { handleSuccess } from './runners/success.js';
import type { TaskWriter } from './runners/transitions.js';
import type { Storage } from './s3.js';
import type { Store } from './store.js';
import { videoRouter } from './videos.js';

export interface AppDeps {
  kc: KubeConfig;
  config: ApiServerConfig;
  store: Store;
  auth: RunnerAuth;
  writer: TaskWriter;
  storage: Storage;
  log: Logger;
  isReady(): boolean;
  onRunnerRemoved(runner: TranscodeRunner): void;
  /** Live data of the web console (/console). */
  consoleFeed: ConsoleFeed;
}

type Handler = (req: Request, res: Response) => Promise<void>;

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', deps.config.trustProxy);
  app.use(requestMetrics());
  app.use(express.json({ limit: '1mb' }));

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => void res.status(deps.isReady() ? 200 : 503).json({ ready: deps.isReady() }));
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  app.get('/api/v1/openapi.json', (_req, res) => void res.json(openApiDocument(deps.config.publicUrl)));

  const jobs: JobsDeps = deps;
  const runners = Router();
  const h =
    (fn: (req: Request, res: Response, d: JobsDeps) => Promise<void>): Handler =>
    (req, res) =>
      fn(req, res, jobs);
  runners.post('/register', (req, res) => register(req, res, deps));
  runners.post('/unregister', (req, res) => unregister(req, res, deps));
  runners.post('/jobs/request', h(requestJobs));
  runners.post('/jobs/:uuid/accept', h(acceptJob));
  runners.post('/jobs/:uuid/abort', h(abortJob));
  runners.post('/jobs/:uuid/error', h(errorJob));
  runners.post('/jobs/:uuid/update', h(updateJob));
  runners.post('/jobs/:uuid/success', (req, res) =>
    handleSuccess(req, res, jobUuid(req), { ...deps, maxUploadBytes: deps.config.maxUploadBytes }),
  );
  const files = '/jobs/:uuid/files/videos/:videoId';
  runners.post(`${files}/max-quality`, (req, res) => downloadInput(req, res, jobs, 'video'));
  runners.post(`${files}/max-quality/audio`, (req, res) => downloadInput(req, res, jobs, 'audio'));
  runners.post(`${files}/previews/max-quality`, (req, res) => downloadInput(req, res, jobs, 'preview'));
  runners.post(`${files}/thumbnails/max-quality`, (req, res) => downloadInput(req, res, jobs, 'preview'));
  runners.post(`${files}/studio/task-files/:filename`, (req, res) => downloadInput(req, res, jobs, 'taskFile'));
  runners.use(adminRouter(deps));
  app.use('/api/v1/runners', runners);
  app.use('/api/v1/videos', videoRouter(deps));
  app.use('/console', consoleRouter({ ...deps, feed: deps.consoleFeed }));

  app.use((req, _res, next) => next(new HttpProblem(404, `No route for ${req.method} ${req.path}`)));
  app.use(problemHandler(deps.log));
  return app;
}
