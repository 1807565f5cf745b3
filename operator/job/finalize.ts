// Output finalization once every task of an output completed: check the stored objects (HeadObject),
// then the output's handler describes the result (ffprobe, master playlist, manifest). The
// api-server stored the files at the task placements.
import type { S3Client } from '@aws-sdk/client-s3';
import type { OutputSpec } from '../../lib/schema/ct-job.js';
import type { TaskStatus } from '../../lib/schema/transcode-job.js';
import { OUTPUT_HANDLERS } from './outputs/index.js';
import { resultKeys } from './outputs/results.js';
import { FinalizeError, type Finalized } from './outputs/types.js';

export { FinalizeError, type Finalized } from './outputs/types.js';
export { codecString, masterPlaylist, type Rendition } from './outputs/hls.js';

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
