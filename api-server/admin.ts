// Admin endpoints (Bearer CT_ADMIN_TOKEN), shaped like PeerTube's (docs/peertube-runner-protocol.md
// §11; paths from lib/peertube/routes.ts): registration tokens (generate returns the plain token once), runners, runner jobs.
// Everything they show is also visible with kubectl (Secrets, TranscodeRunners, TranscodeJobs).
import type { KubeConfig } from '@kubernetes/client-node';
import { Router, type Request, type RequestHandler } from 'express';
import { cancelTask } from '../lib/peertube/task-state.js';
import { ADMIN_ROUTES as A } from '../lib/peertube/routes.js';
import { namespaceOf } from '../lib/kube/client.js';
import { errorInfo, type Logger } from '../lib/log.js';
import type { ApiServerConfig } from './config.js';
import { HttpProblem, badRequest, notFound } from './problem.js';
import { createRegistrationToken } from './registration-tokens.js';
import { revokeRegistrationToken } from './revoke-token.js';
import { upstreamProblem } from './upstream.js';
import { deleteRunner } from './runners/registration.js';
import { jobUuid } from './runners/jobs.js';
import type { TaskWriter } from './runners/transitions.js';
import { runnerJobView } from './runners/view.js';
import type { Store } from './store.js';
import { sameSecret } from './tokens.js';
import type { TranscodeRunner } from '../lib/schema/transcode-runner.js';

export interface AdminDeps {
  kc: KubeConfig;
  config: ApiServerConfig;
  store: Store;
  writer: TaskWriter;
  log: Logger;
  onRunnerRemoved(runner: TranscodeRunner): void;
}

export function adminAuth(config: ApiServerConfig): RequestHandler {
  return (req, _res, next) => {
    if (!config.adminToken) throw new HttpProblem(403, 'The admin API is disabled (CT_ADMIN_TOKEN is not set)');
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!m?.[1] || !sameSecret(m[1].trim(), config.adminToken))
      throw new HttpProblem(401, 'A valid admin bearer token is required', 'unauthorized');
    next();
  };
}

function page<T>(req: Request, items: T[]): { total: number; data: T[] } {
  const start = Number(req.query['start'] ?? 0);
  const count = Number(req.query['count'] ?? 15);
  if (!Number.isInteger(start) || start < 0) throw badRequest('start must be an integer >= 0');
  if (!Number.isInteger(count) || count < 1 || count > 100) throw badRequest('count must be an integer between 1 and 100');
  return { total: items.length, data: items.slice(start, start + count) };
}

function listParam(req: Request, name: string): string[] | undefined {
  const raw = req.query[name] ?? req.query[`${name}[]`];
  if (raw === undefined) return undefined;
  const values = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(','));
  return values.filter((v) => v !== '');
}

export function adminRouter(deps: AdminDeps): Router {
  const r = Router();
  const { store, config, kc, log } = deps;
  r.use(A.registrationTokens, adminAuth(config));

  r.post(A.generateRegistrationToken, async (req, res) => {
    const requested = (req.body as { namespace?: unknown } | undefined)?.namespace;
    if (requested !== undefined && (typeof requested !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(requested))) {
      throw badRequest('namespace must be a namespace name');
    }
    if (config.namespace && requested && requested !== config.namespace)
      throw badRequest(`this api-server serves namespace ${config.namespace} only`);
    const namespace = config.namespace || (requested as string | undefined) || namespaceOf(kc);
    const { secret, token } = await createRegistrationToken(kc, namespace).catch((err: unknown) => {
      log.warn({ namespace, err: errorInfo(err) }, 'registration token not created');
      throw upstreamProblem(err, { action: 'Creating the registration token', notFound: `Namespace ${namespace} does not exist` });
    });
    log.info({ secret: secret.metadata?.name, namespace }, 'registration token created');
    res.status(200).json({ id: secret.metadata?.name, registrationToken: token });
  });

  r.get(A.registrationTokens, (req, res) => {
    const runners = store.runners.cache.list();
    const tokens = store.tokens.cache
      .list()
      .sort((a, b) => String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)))
      .map((s) => ({
        id: s.metadata?.name,
        namespace: s.metadata?.namespace,
        createdAt: s.metadata?.creationTimestamp,
        registeredRunnersCount: runners.filter(
          (x) => x.spec.registrationToken === s.metadata?.name && x.metadata.namespace === s.metadata?.namespace,
        ).length,
      }));
    res.json(page(req, tokens));
  });

  r.delete(A.registrationToken, async (req, res) => {
    const secret = store.tokens.cache.list().find((s) => s.metadata?.name === req.params['id']);
    if (!secret?.metadata?.name || !secret.metadata.namespace) throw notFound('Registration token not found');
    const { name, namespace } = secret.metadata;
    const runners = await revokeRegistrationToken(deps, { ...secret, metadata: { ...secret.metadata, name, namespace } });
    log.info({ secret: name, namespace, runners }, 'registration token revoked');
    res.status(204).end();
  });

  const auth = adminAuth(config);
  r.get(A.runners, auth, (req, res) => {
    const runners = store.runners.cache
      .list()
      .filter((x) => x.status?.runnerId !== undefined)
      .sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)))
      .map((x) => ({
        id: x.status?.runnerId,
        name: x.spec.runnerName,
        description: x.spec.description ?? null,
        ip: x.status?.ip ?? null,
        lastContact: x.status?.lastContact ?? null,
        version: x.status?.version ?? null,
        createdAt: x.metadata.creationTimestamp,
        namespace: x.metadata.namespace,
        object: x.metadata.name,
      }));
    res.json(page(req, runners));
  });

  r.get(A.jobs, auth, (req, res) => {
    const states = listParam(req, 'stateOneOf')?.map(Number);
    const types = listParam(req, 'typeOneOf');
    if (states?.some((s) => !Number.isInteger(s) || s < 1 || s > 9)) throw badRequest('stateOneOf must be state ids 1–9');
    const search = typeof req.query['search'] === 'string' ? req.query['search'] : undefined;
    const runnersByName = new Map(store.runners.cache.list().map((x) => [x.metadata.name, x]));
    const tasks = store
      .allTasks()
      .filter(({ task }) => (!states || states.includes(task.state)) && (!types || types.includes(task.type)))
      .filter(({ job, task }) => !search || task.uuid.includes(search) || task.name.includes(search) || job.metadata.name?.includes(search))
      .sort((a, b) => b.task.createdAt.localeCompare(a.task.createdAt))
      .map(({ job, task }) => ({
        ...runnerJobView(job, task, config.publicUrl, task.runner?.id ? runnersByName.get(task.runner.id) : undefined),
        name: task.name,
        transcodeJob: { namespace: job.metadata.namespace, name: job.metadata.name },
      }));
    res.json(page(req, tasks));
  });

  r.post(A.cancelJob, auth, async (req, res) => {
    const uuid = jobUuid(req);
    const ref = store.task(uuid);
    if (!ref) throw notFound('Unknown runner job');
    const out = await deps.writer.apply(ref.job, (s, now) => cancelTask(s, uuid, now));
    if (!out) throw notFound('Unknown runner job');
    if (!out.result.ok)
      throw badRequest(
        `Cannot cancel this job: it is ${out.result.task?.state !== undefined ? `in state ${out.result.task.state}` : 'gone'}`,
      );
    deps.writer.forget(uuid);
    log.info({ task: uuid, job: ref.job.metadata.name }, 'task cancelled by an admin');
    res.status(204).end();
  });

  r.delete(A.runner, auth, async (req, res) => {
    const id = Number(req.params['runnerId']);
    const runner = store.runners.cache.list().find((x) => x.status?.runnerId === id);
    if (!Number.isInteger(id) || !runner) throw notFound('Runner not found');
    await deleteRunner(deps, runner).catch((err: unknown) => {
      log.error({ runner: runner.metadata.name, err: errorInfo(err) }, 'runner removal failed');
      throw err;
    });
    log.info({ runner: runner.metadata.name }, 'runner removed by an admin');
    res.status(204).end();
  });
  return r;
}
