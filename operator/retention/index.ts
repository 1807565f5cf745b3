// Wiring of job retention into the operator: the retention controller (leader-only, like every
// controller) and the job records it writes, which the SQS command handler also reads.
import { S3Client } from '@aws-sdk/client-s3';
import { s3Config } from '../../lib/aws/config.js';
import { enforceAwsLimits } from '../../lib/aws/limits.js';
import type { TranscodeClient } from '../../lib/schema/transcode-client.js';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';
import type { Controller, RuntimeContext } from '../runtime/index.js';
import { retentionController } from './controller.js';
import { JobRecords } from './records.js';
import { retentionSettingsFromEnv, type RetentionSettings } from './settings.js';

const records = new WeakMap<RuntimeContext, JobRecords>();

/** The job records of this runtime (one S3 client for the retention controller and the command handler). */
export function jobRecords(ctx: RuntimeContext, s3?: S3Client): JobRecords {
  let r = records.get(ctx);
  if (!r)
    records.set(ctx, (r = new JobRecords(s3 ?? enforceAwsLimits(new S3Client(s3Config())), ctx.log.child({ component: 'job-records' }))));
  return r;
}

export function retentionControllers(
  ctx: RuntimeContext,
  config: { retention?: RetentionSettings; swf: { enabled: boolean } },
): Controller[] {
  const controller = retentionController({
    kc: ctx.kc,
    jobs: ctx.cache<TranscodeJob>('TranscodeJob'),
    clients: ctx.cache<TranscodeClient>('TranscodeClient'),
    records: jobRecords(ctx),
    settings: config.retention ?? retentionSettingsFromEnv(),
    swfEnabled: config.swf.enabled,
    log: ctx.log.child({ controller: 'job-retention' }),
  });
  return [controller as unknown as Controller];
}

export { JobRecords, recordArea, type RecordArea } from './records.js';
export type { RetentionSettings } from './settings.js';
