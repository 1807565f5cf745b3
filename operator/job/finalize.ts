// Output finalization once every task of an output completed: check the stored objects (HeadObject),
// then the output's handler describes the result (ffprobe, master playlist, manifest). The
// api-server stored the files at the task placements.
import type { S3Client } from '@aws-sdk/client-s3';
import type { OutputSpec } from '../../lib/schema/ct-job.js';
import type { TaskStatus, TranscodeJobStatus } from '../../lib/schema/transcode-job.js';
import { OUTPUT_HANDLERS } from './outputs/index.js';
import { deleteIntermediates, resultKeys } from './outputs/results.js';
import { intermediateKeys } from './outputs/segments.js';
import { FinalizeError, type Finalized } from './outputs/types.js';

// operator/job/controller.ts takes these from here.
export { FinalizeError, type Finalized } from './outputs/types.js';

/** Finalizes one output whose tasks all completed. Throws FinalizeError when a result is missing or unreadable. */
export async function finalizeOutput(s3: S3Client, spec: OutputSpec, index: number, tasks: TaskStatus[]): Promise<Finalized> {
  // Intermediate results (segments of a segmented encode) are not output files; the handler removes them.
  const { keys, size } = await resultKeys(
    s3,
    spec.output_bucket,
    tasks.filter((t) => !t.placement.intermediate),
  );
  if (keys.length === 0) throw new FinalizeError(`output ${index}: the tasks reported no result file`);
  return OUTPUT_HANDLERS[spec.output_type].finalize({ s3, spec, index, tasks, keys, size });
}

/**
 * Intermediate files (encoded segments) of outputs that end Failed or Canceled between `before` and
 * `after`: deleted, so a cancelled or failed segmented encode leaves nothing in the output bucket
 * (CT semantics: only finished outputs stay). Deleting a key already gone succeeds.
 */
export async function discardIntermediates(s3: S3Client, before: TranscodeJobStatus, after: TranscodeJobStatus): Promise<void> {
  for (const out of after.outputs ?? []) {
    if (out.status !== 'Failed' && out.status !== 'Canceled') continue;
    if (before.outputs?.find((o) => o.index === out.index)?.status === out.status) continue;
    const tasks = (after.tasks ?? []).filter((t) => t.outputIndex === out.index);
    await deleteIntermediates(s3, intermediateKeys(tasks));
  }
}
