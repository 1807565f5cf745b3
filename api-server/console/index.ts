// The web console (/console): read-mostly pages over the same caches that serve the runners, plus
// registration-token create/revoke. Everything under /console but the login post requires the admin
// token (auth.ts); the front-end (static/) is plain JS and CSS with hls.js copied in by the build —
// nothing is fetched from a CDN.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { Router, type Request } from 'express';
import type { KubeConfig } from '@kubernetes/client-node';
import { namespaceOf } from '../../lib/kube/client.js';
import type { Logger } from '../../lib/log.js';
import type { TranscodeRunner } from '../../lib/schema/transcode-runner.js';
import type { ApiServerConfig } from '../config.js';
import { badRequest, notFound } from '../problem.js';
import { createRegistrationToken } from '../registration-tokens.js';
import { revokeRegistrationToken } from '../revoke-token.js';
import type { Storage } from '../s3.js';
import type { Store } from '../store.js';
import { loginHandler, logoutHandler, requireAdmin } from './auth.js';
import { ConsoleFeed } from './feed.js';
import { jobDetail, streamOutputFile } from './job-detail.js';

export interface ConsoleDeps {
  kc: KubeConfig;
  config: ApiServerConfig;
  store: Store;
  storage: Storage;
  log: Logger;
  feed: ConsoleFeed;
  onRunnerRemoved(runner: TranscodeRunner): void;
}

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function createFeed(store: Store, config: ApiServerConfig, log: Logger, isConnected: (r: TranscodeRunner) => boolean): ConsoleFeed {
  return new ConsoleFeed(store, { isConnected, offlineAfterMs: config.consoleOfflineAfterMs }, log);
}

function param(req: Request, name: string): string {
  const v = req.params[name];
  if (typeof v !== 'string' || v === '') throw badRequest(`${name} is required`);
  return v;
}

export function consoleRouter(deps: ConsoleDeps): Router {
  const { config, store, log } = deps;
  if (!existsSync(STATIC_DIR)) log.warn({ dir: STATIC_DIR }, 'console assets are missing: run npm run build');
  const r = Router();
  r.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), loginHandler(config.adminToken));
  r.use(requireAdmin(config.adminToken));
  r.post('/logout', logoutHandler);

  const page = (_req: Request, res: express.Response) => {
    res.set({ 'Cache-Control': 'no-store', 'Content-Security-Policy': CSP }).sendFile('index.html', { root: STATIC_DIR });
  };
  r.get('/', page);
  r.use('/assets', express.static(STATIC_DIR, { index: false, fallthrough: false, maxAge: 0 }));

  r.get('/api/events', (_req, res) => deps.feed.subscribe(res));

  r.get('/api/jobs/:ns/:name', async (req, res) => {
    const job = store.jobs.cache.get(`${param(req, 'ns')}/${param(req, 'name')}`);
    if (!job) throw notFound('Job not found');
    res.set('Cache-Control', 'no-store').json(await jobDetail(job, deps.storage));
  });

  // Output files through us (same origin, same login): the thumbnail preview and the HLS player.
  r.get('/api/jobs/:ns/:name/files/:index/*key', async (req, res) => {
    const job = store.jobs.cache.get(`${param(req, 'ns')}/${param(req, 'name')}`);
    if (!job) throw notFound('Job not found');
    const key = (req.params as { key?: string[] }).key?.join('/') ?? '';
    await streamOutputFile(job, Number(req.params['index']), key, req.headers.range, deps.storage, res);
  });

  r.post('/api/tokens', async (req, res) => {
    const requested = (req.body as { namespace?: unknown } | undefined)?.namespace;
    if (requested !== undefined && requested !== '' && (typeof requested !== 'string' || !NAMESPACE.test(requested)))
      throw badRequest('namespace must be a namespace name');
    if (config.namespace && requested && requested !== config.namespace)
      throw badRequest(`this api-server serves namespace ${config.namespace} only`);
    const namespace = config.namespace || (requested as string | undefined) || namespaceOf(deps.kc);
    const { secret, token } = await createRegistrationToken(deps.kc, namespace);
    store.tokens.cache.upsert(secret);
    log.info({ secret: secret.metadata?.name, namespace, via: 'console' }, 'registration token created');
    res.status(201).json({ id: secret.metadata?.name, namespace, registrationToken: token });
  });

  r.delete('/api/tokens/:ns/:id', async (req, res) => {
    const secret = store.tokens.cache.get(`${param(req, 'ns')}/${param(req, 'id')}`);
    const name = secret?.metadata?.name;
    const namespace = secret?.metadata?.namespace;
    if (!secret || !name || !namespace) throw notFound('Registration token not found');
    const runners = await revokeRegistrationToken(deps, { ...secret, metadata: { ...secret.metadata, name, namespace } });
    log.info({ secret: name, namespace, runners, via: 'console' }, 'registration token revoked');
    res.status(204).end();
  });

  r.use((req) => {
    throw notFound(`No console route for ${req.method} ${req.path}`);
  });
  return r;
}

// Our pages load only our own scripts, styles and media (blob: for the HLS player's MediaSource).
const CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');
