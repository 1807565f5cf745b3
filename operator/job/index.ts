// Wiring of the job lifecycle into the operator: the TranscodeJob controller (probe, plan, watchdog,
// cancel, completion) and, unless CT_SWF_ENABLED=false, the SWF recorder it drives plus a start-up
// task registering the SWF domain and types. operator/main.ts adds both with jobComponents(ctx).
import { S3Client } from '@aws-sdk/client-s3';
import { SWFClient } from '@aws-sdk/client-swf';
import { clientConfig, s3Config } from '../../lib/aws/config.js';
import { enforceAwsLimits } from '../../lib/aws/limits.js';
import { errorInfo } from '../../lib/log.js';
import type { TranscodeClient } from '../../lib/schema/transcode-client.js';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';
import type { Controller, Runnable, RuntimeContext, CacheReader } from '../runtime/index.js';
import { sleep } from '../runtime/index.js';
import { loadSwfConfig, type SwfConfig } from '../swf/config.js';
import { jobSettingsFromEnv, type JobSettings } from '../config.js';
import { SwfRecorder } from '../swf/recorder.js';
import { JobController } from './controller.js';
import type { TranscodeRunner } from '../../lib/schema/transcode-runner.js';

export interface JobComponentOptions {
  /** The operator's loaded settings (operator/config.ts); read from `env` when absent (tests, benchmarks). */
  config?: { swf: SwfConfig; job: JobSettings };
  env?: NodeJS.ProcessEnv;
  s3?: S3Client;
  swf?: SWFClient;
}

const built = new WeakMap<RuntimeContext, { controllers: Controller[]; runnables: Runnable[] }>();

export function jobComponents(ctx: RuntimeContext, opts: JobComponentOptions = {}): { controllers: Controller[]; runnables: Runnable[] } {
  const existing = built.get(ctx);
  if (existing) return existing;
  const env = opts.env ?? process.env;
  const swfConfig: SwfConfig = opts.config?.swf ?? loadSwfConfig(env);
  const settings: JobSettings = opts.config?.job ?? jobSettingsFromEnv(env);
  const log = ctx.log.child({ controller: 'transcodejob' });
  const recorder = swfConfig.enabled
    ? new SwfRecorder(enforceAwsLimits(opts.swf ?? new SWFClient(clientConfig())), swfConfig, log.child({ part: 'swf' }))
    : undefined;
  const controller = new JobController({
    kc: ctx.kc,
    log,
    jobs: ctx.cache('TranscodeJob') as unknown as CacheReader<TranscodeJob>,
    clients: ctx.cache('TranscodeClient') as unknown as CacheReader<TranscodeClient>,
    s3: enforceAwsLimits(opts.s3 ?? new S3Client(s3Config())),
    stallMs: settings.stallMs,
    concurrency: settings.concurrency,
    sweep: settings.sweep,
    events: ctx.events,
    runners: ctx.cache('TranscodeRunner') as unknown as CacheReader<TranscodeRunner>,
    scheduling: settings.scheduling,
    ...(recorder ? { recorder } : {}),
  });
  const runnables: Runnable[] = [];
  if (recorder) {
    runnables.push({
      name: 'swf-register',
      // Registers the domain and types at start-up; retried with back-off (jobs also register lazily).
      async run(signal: AbortSignal): Promise<void> {
        for (let attempt = 1; !signal.aborted; attempt++) {
          try {
            await recorder.ensureRegistered();
            return;
          } catch (err) {
            log.warn({ err: errorInfo(err), attempt }, 'SWF registration failed; retrying');
            await sleep(Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6)), signal);
          }
        }
      },
    });
  }
  const out = { controllers: [controller as unknown as Controller], runnables };
  built.set(ctx, out);
  return out;
}

export function jobControllers(ctx: RuntimeContext, config?: JobComponentOptions['config']): Controller[] {
  return jobComponents(ctx, config ? { config } : {}).controllers;
}

export function jobRunnables(ctx: RuntimeContext, config?: JobComponentOptions['config']): Runnable[] {
  return jobComponents(ctx, config ? { config } : {}).runnables;
}
