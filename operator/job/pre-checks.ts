// Output checks that need I/O before planning, delegated to each output type's handler
// (e.g. VIDEO: the watermark image exists; a still image for an audio-only input).
import type { S3Client } from '@aws-sdk/client-s3';
import type { ProbeInfo, TranscodeJob } from '../../lib/schema/transcode-job.js';
import type { JobAccess } from '../../lib/ct/bucket-access.js';
import { OUTPUT_HANDLERS } from './outputs/index.js';
import type { PlanContext } from './plan.js';

export async function preCheckOutputs(
  s3: S3Client,
  job: TranscodeJob,
  probe: ProbeInfo,
  refused: JobAccess['outputs'],
): Promise<Pick<PlanContext, 'failed' | 'previews'>> {
  // Outputs refused by the bucket entitlements fail as they are; no S3 call is made for them.
  const failed: NonNullable<PlanContext['failed']> = new Map(refused);
  const previews: NonNullable<PlanContext['previews']> = new Map();
  for (const [index, spec] of job.spec.job.outputs.entries()) {
    const check = OUTPUT_HANDLERS[spec.output_type].preCheck;
    if (!check || failed.has(index)) continue;
    const r = await check({ s3, job, probe, spec });
    if (r.failed) failed.set(index, r.failed);
    if (r.preview) previews.set(index, r.preview);
  }
  return { failed, previews };
}
