#!/usr/bin/env node
// The operator process (dist/operator/main.js).
//
// ─── HOW TO ADD A CONTROLLER OR A LEADER-ONLY TASK ───────────────────────────────────────────────
// Edit ONLY buildComponents() below: add one line to `controllers` (a Controller from
// operator/runtime: { name, kind, watches?, reconcile(key, obj) }) or to `runnables` (a Runnable:
// { name, run(signal) } — long-running loops such as the SQS listener). Each factory receives the
// RuntimeContext (ctx.cache(kind) read-only informer caches, ctx.status writer, ctx.events recorder,
// ctx.log) and the OperatorConfig. Everything listed runs only on the elected leader, after the caches
// of every kind used are synced — except runnables with `everyReplica: true` (the SQS listener), which
// run on every replica; SIGTERM stops them (runnables: their AbortSignal fires) before exit.
// Names must be unique; CT_DISABLE=name1,name2 switches individual ones off (debugging, tests).
// Losing the lease stops everything first, then the process campaigns again (operator/runtime/manager.ts).
// ──────────────────────────────────────────────────────────────────────────────────────────────────
import { kubeConfig } from '../lib/kube/client.js';
import { createLogger, errorInfo } from '../lib/log.js';
import { CONFIG_EXIT_CODE, loadOrExit } from '../lib/config/env.js';
import { loadConfig, type OperatorConfig } from './config.js';
import { Manager, type Controller, type Runnable, type RuntimeContext } from './runtime/index.js';
import { clientController } from './client/controller.js';
import { sqsControllers, sqsRunnables } from './sqs/index.js';
import { jobControllers, jobRunnables } from './job/index.js';
import { retentionControllers } from './retention/index.js';

export function buildComponents(ctx: RuntimeContext, config: OperatorConfig): { controllers: Controller[]; runnables: Runnable[] } {
  return {
    controllers: [
      clientController(ctx, config), // TranscodeClient: queues, buckets, policies, cleanup (operator/client/)
      ...sqsControllers(ctx, config.sqs), // TranscodeJob → CT messages on the client's output queue (operator/sqs/)
      ...jobControllers(ctx, config), // TranscodeJob lifecycle: probe, plan, watchdog, cancel, completion, SWF (operator/job/, operator/swf/)
      ...retentionControllers(ctx, config), // finished TranscodeJobs: job record to the output bucket, deleted after the TTL (operator/retention/)
    ],
    runnables: [
      ...sqsRunnables(ctx, config.sqs), // SQS listener, on every replica: client commands from every Ready client's input queue (operator/sqs/)
      ...jobRunnables(ctx, config), // SWF domain/type registration at start-up (operator/swf/)
    ],
  };
}

async function main(): Promise<void> {
  const log = createLogger('operator');
  const config = loadOrExit(loadConfig, (err) => log.fatal({ variable: err.variable, err: errorInfo(err) }, 'configuration error'));
  const manager = new Manager({
    kc: kubeConfig(),
    log,
    component: 'cloudtranscode-operator',
    identity: config.identity,
    namespace: config.namespace,
    resyncMs: config.resyncMs,
    http: config.http,
    ...(config.leaderElection.enabled ? { leaderElection: config.leaderElection } : {}),
  });
  const { controllers, runnables } = buildComponents(manager.context, config);
  const known = new Set([...controllers, ...runnables].map((c) => c.name));
  const unknown = config.disabled.filter((n) => !known.has(n));
  if (unknown.length) {
    log.fatal({ unknown, known: [...known] }, 'CT_DISABLE names unknown controllers/runnables');
    process.exit(CONFIG_EXIT_CODE);
  }
  const enabled = <T extends { name: string }>(list: T[]) => list.filter((c) => !config.disabled.includes(c.name));
  manager.add(...enabled(controllers)).addRunnable(...enabled(runnables));
  if (config.disabled.length) log.warn({ disabled: config.disabled }, 'some controllers/runnables are disabled (CT_DISABLE)');

  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('graceful shutdown took longer than 25 s; exiting');
      process.exit(1);
    }, 25_000);
    force.unref();
    manager.stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err: errorInfo(err) }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => log.error({ err: errorInfo(reason) }, 'unhandled promise rejection'));

  log.info(
    { identity: config.identity, namespace: config.namespace || '(all)', leaderElection: config.leaderElection.enabled },
    'operator starting',
  );
  await manager.start();
}

main().catch((err: unknown) => {
  createLogger('operator').fatal({ err: errorInfo(err) }, 'operator failed to start');
  process.exit(1);
});
