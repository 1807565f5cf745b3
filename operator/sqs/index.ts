// Wiring of the CT SQS protocol into the operator: the listener (a runnable on every replica) and the
// output publisher (a leader-only TranscodeJob controller). operator/main.ts adds both with sqsComponents(ctx).
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { SQSClient } from '@aws-sdk/client-sqs';
import { clientConfig } from '../../lib/aws/config.js';
import { enforceAwsLimits } from '../../lib/aws/limits.js';
import type { TranscodeClient } from '../../lib/schema/transcode-client.js';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';
import type { Controller, Runnable, RuntimeContext } from '../runtime/index.js';
import { CommandHandler } from './commands.js';
import { sqsConfigFromEnv, type SqsConfig } from './config.js';
import { SqsListener } from './listener.js';
import { outputSender } from './output.js';
import { publisherController } from './publisher.js';
import { jobRecords } from '../retention/index.js';

/** One SQS client whose connection pool fits every concurrent long poll plus the sends. */
export function sqsClient(config: SqsConfig): SQSClient {
  const maxSockets = config.pollers + 64;
  const client = new SQSClient({
    ...clientConfig(),
    requestHandler: {
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
      // A long poll answers within waitSeconds; a stuck connection must not hold a poller forever.
      requestTimeout: (config.waitSeconds + 20) * 1000,
    },
  });
  return enforceAwsLimits(client);
}

const built = new WeakMap<RuntimeContext, { controllers: Controller[]; runnables: Runnable[] }>();

/** The output publisher controller (empty when CT_SQS_ENABLED=false). */
export function sqsControllers(ctx: RuntimeContext, config?: SqsConfig): Controller[] {
  return sqsComponents(ctx, config).controllers;
}

/** The SQS listener runnable (empty when CT_SQS_ENABLED=false). */
export function sqsRunnables(ctx: RuntimeContext, config?: SqsConfig): Runnable[] {
  return sqsComponents(ctx, config).runnables;
}

/** Both, built once per runtime context (they share one SQS client). */
export function sqsComponents(
  ctx: RuntimeContext,
  config: SqsConfig = sqsConfigFromEnv(),
): { controllers: Controller[]; runnables: Runnable[] } {
  let c = built.get(ctx);
  if (!c) built.set(ctx, (c = buildSqs(ctx, config)));
  return c;
}

function buildSqs(ctx: RuntimeContext, config: SqsConfig): { controllers: Controller[]; runnables: Runnable[] } {
  if (!config.enabled) return { controllers: [], runnables: [] };
  const log = ctx.log.child({ component: 'sqs' });
  const sqs = sqsClient(config);
  const send = outputSender(sqs);
  const jobs = ctx.cache<TranscodeJob>('TranscodeJob');
  const clients = ctx.cache<TranscodeClient>('TranscodeClient');
  const afterCreate =
    config.fault === 'exit-after-create'
      ? () => {
          log.warn('fault injection CT_FAULT=exit-after-create: exiting between job creation and message deletion');
          process.exit(3);
        }
      : undefined;
  const handler = new CommandHandler(ctx.kc, jobs, send, log, afterCreate, {
    clients,
    events: ctx.events,
    records: jobRecords(ctx),
  });
  const listener = new SqsListener(
    sqs,
    clients,
    () => Promise.all([ctx.synced('TranscodeClient'), ctx.synced('TranscodeJob')]).then(() => {}),
    handler,
    config,
    log,
  );
  return {
    controllers: [publisherController({ kc: ctx.kc, jobs, clients, send, config, log }) as unknown as Controller],
    runnables: [listener],
  };
}
