// The express application: routes, JSON parsing, metrics, health, problem+json errors.
// Runner routes come from the protocol's route table (lib/peertube/routes.ts). API routes never
// redirect (docs/peertube-runner-protocol.md §2): no trailing-slash or scheme redirects anywhere.
import express, { Router, type Express, type Request, type Response } from 'express';
import type { RequestListener } from 'node:http';
import { RUNNER_API, RUNNER_ROUTES as R } from '../lib/peertube/routes.js';
import type { TranscodeRunner } from '../lib/schema/transcode-runner.js';
import { adminRouter } from './admin.js';
import { hotRoutes } from './hot-routes.js';
import { consoleRouter } from './console/index.js';
import type { ConsoleFeed } from './console/feed.js';
import { registry, requestMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { HttpProblem, problemHandler } from './problem.js';
import { abortJob, acceptJob, downloadInput, errorJob, jobUuid, requestJobs, updateJob, type JobsDeps } from './runners/jobs.js';
import { AvailableJobsPages } from './runners/page.js';
import { register, unregister } from './runners/registration.js';
import { handleSuccess } from './runners/success.js';
import { partUploadRouter } from './runners/ct-uploads.js';
import { videoRouter } from './videos.js';

/** The runner routes' needs (JobsDeps, whose page cache is made here) plus what the rest of the app uses. */
export interface AppDeps extends Omit<JobsDeps, 'pages'> {
  isReady(): boolean;
  onRunnerRemoved(runner: TranscodeRunner): void;
  /** Live data of the web console (/console). */
  consoleFeed: ConsoleFeed;
}

type Handler = (req: Request, res: Response) => Promise<void>;

/** The server's request listener: the hot runner routes (hot-routes.ts) in front of express, which serves everything. */
export function createApp(appDeps: AppDeps): RequestListener {
  const deps = { ...appDeps, pages: new AvailableJobsPages(appDeps.store, appDeps.config.publicUrl) };
  return hotRoutes(deps, createExpressApp(deps));
}

function createExpressApp(deps: AppDeps & JobsDeps): Express {
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
  runners.post(R.register, (req, res) => register(req, res, deps));
  runners.post(R.unregister, (req, res) => unregister(req, res, deps));
  runners.post(R.request, h(requestJobs));
  runners.post(R.accept, h(acceptJob));
  runners.post(R.abort, h(abortJob));
  runners.post(R.error, h(errorJob));
  runners.post(R.update, h(updateJob));
  runners.post(R.success, (req, res) => handleSuccess(req, res, jobUuid(req), { ...deps, maxUploadBytes: deps.config.maxUploadBytes }));
  runners.post(R.videoFile, (req, res) => downloadInput(req, res, jobs, 'video'));
  runners.post(R.audioFile, (req, res) => downloadInput(req, res, jobs, 'audio'));
  runners.post(R.previewFile, (req, res) => downloadInput(req, res, jobs, 'preview'));
  runners.post(R.thumbnailFile, (req, res) => downloadInput(req, res, jobs, 'preview'));
  runners.post(R.studioTaskFile, (req, res) => downloadInput(req, res, jobs, 'taskFile'));
  runners.use(partUploadRouter(jobs));
  runners.use(adminRouter(deps));
  app.use(RUNNER_API, runners);
  app.use('/api/v1/videos', videoRouter(deps));
  app.use('/console', consoleRouter({ ...deps, feed: deps.consoleFeed }));

  app.use((req, _res, next) => next(new HttpProblem(404, `No route for ${req.method} ${req.path}`)));
  app.use(problemHandler(deps.log));
  return app;
}
