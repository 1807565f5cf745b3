// POST /register and /unregister (docs/peertube-runner-protocol.md §3). A registration is a
// TranscodeRunner object named after the runner name, so the apiserver itself enforces unique
// names across replicas; the runner token is stored as a hash (status) and a hash label (so a
// replica whose cache lags can still find a runner registered a moment ago elsewhere).
import { randomInt } from 'node:crypto';
import { dnsSlug, shortHash } from '../../lib/names.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Request, Response } from 'express';
import { API_VERSION, KINDS } from '../../lib/kube/resources.js';
import { crs } from '../../lib/kube/crs.js';
import { statusOf } from '../../lib/kube/client.js';
import { updateStatus } from '../../lib/kube/status.js';
import type { TranscodeRunner } from '../../lib/schema/transcode-runner.js';
import { errorInfo, type Logger } from '../../lib/log.js';
import { badRequest, notFound } from '../problem.js';
import { RegisterBody, RunnerTokenBody } from '../../lib/peertube/wire.js';
import { parseBody } from '../schemas.js';
import { findRegistrationToken } from '../registration-tokens.js';
import type { Store } from '../store.js';
import { hashLabel, newRunnerToken, sha256Hex } from '../tokens.js';
import { LABEL_RUNNER_TOKEN_HASH, type RunnerAuth } from './auth.js';

export interface RegistrationDeps {
  kc: KubeConfig;
  store: Store;
  auth: RunnerAuth;
  log: Logger;
  /** Called after a runner is removed (closes its sockets). */
  onRunnerRemoved(runner: TranscodeRunner): void;
}

/** Deterministic object name for a runner name (any characters allowed there; object names are DNS labels). */
export function runnerObjectName(runnerName: string): string {
  const slug = dnsSlug(runnerName).slice(0, 40);
  const hash = shortHash(runnerName, 10);
  return ['runner', slug, hash].filter(Boolean).join('-').replace(/-+/g, '-');
}

const DUPLICATE = 'This runner name already exists on this instance';

export async function register(req: Request, res: Response, deps: RegistrationDeps): Promise<void> {
  const body = parseBody(RegisterBody, 'register body', req.body);
  const secret = findRegistrationToken(deps.store, body.registrationToken);
  if (!secret?.metadata?.name || !secret.metadata.namespace) throw notFound('Registration token is invalid');
  if (deps.store.runners.cache.list().some((r) => r.spec.runnerName === body.name)) throw badRequest(DUPLICATE);

  const namespace = secret.metadata.namespace;
  const runnerToken = newRunnerToken();
  const hash = sha256Hex(runnerToken);
  const runners = crs(deps.kc).runners;
  const obj: TranscodeRunner = {
    apiVersion: API_VERSION,
    kind: KINDS.TranscodeRunner.kind,
    metadata: {
      name: runnerObjectName(body.name),
      namespace,
      labels: { [LABEL_RUNNER_TOKEN_HASH]: hashLabel(hash) },
      ...(secret.metadata.uid
        ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: secret.metadata.name, uid: secret.metadata.uid }] }
        : {}),
    },
    spec: {
      runnerName: body.name,
      registrationToken: secret.metadata.name,
      ...(body.description ? { description: body.description } : {}),
    },
  };
  let created: TranscodeRunner;
  try {
    created = await runners.create(obj);
  } catch (err) {
    if (statusOf(err) === 409) throw badRequest(DUPLICATE);
    throw err;
  }
  const runnerId = randomInt(1, 2 ** 31 - 1);
  const now = new Date().toISOString();
  let written: TranscodeRunner | undefined;
  try {
    written = await updateStatus<TranscodeRunner>(
      deps.kc,
      'TranscodeRunner',
      namespace,
      created.metadata.name!,
      (r) => {
        r.status = {
          runnerTokenHash: hash,
          runnerId,
          lastContact: now,
          ...(req.ip ? { ip: req.ip } : {}),
          ...(body.version ? { version: body.version } : {}),
        };
        return true;
      },
      { current: created },
    );
  } catch (err) {
    // Half a registration is no registration: remove the object so the name is free again.
    await runners
      .delete(namespace, created.metadata.name!)
      .catch((e: unknown) =>
        deps.log.error({ err: errorInfo(e), runner: created.metadata.name }, 'could not remove a half-registered runner'),
      );
    throw err;
  }
  if (!written) throw new Error(`runner ${namespace}/${created.metadata.name} disappeared during registration`);
  deps.store.observeRunner(written);
  deps.log.info(
    { runner: created.metadata.name, runnerName: body.name, namespace, registrationToken: secret.metadata.name },
    'runner registered',
  );
  res.status(200).json({ id: runnerId, runnerToken });
}

export async function deleteRunner(
  deps: Pick<RegistrationDeps, 'kc' | 'store' | 'onRunnerRemoved'>,
  runner: TranscodeRunner,
): Promise<void> {
  try {
    await crs(deps.kc).runners.delete(runner.metadata.namespace!, runner.metadata.name!);
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
  deps.store.forgetRunner(runner);
  deps.onRunnerRemoved(runner);
}

export async function unregister(req: Request, res: Response, deps: RegistrationDeps): Promise<void> {
  const body = parseBody(RunnerTokenBody, 'unregister body', req.body);
  const runner = await deps.auth.requireRunner(body.runnerToken);
  await deleteRunner(deps, runner);
  deps.log.info({ runner: runner.metadata.name }, 'runner unregistered');
  res.status(204).end();
}
