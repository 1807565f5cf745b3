// The planner: a probed TranscodeJob → runner tasks (one PeerTube-compatible runner job each) and
// the initial output list, where an output that cannot be made fails alone (CT semantics). Pure: the
// controller supplies uuids and the clock, and writes the result in one status update. What each
// output type plans lives in its handler (outputs/); this module only walks the outputs.
import type { OutputStatus, ProbeInfo, TaskStatus, TranscodeJob, S3Ref } from '../../lib/schema/transcode-job.js';
import { TaskState } from '../../lib/schema/transcode-job.js';
import type { CtReason } from '../../lib/presets/resolve.js';
import { displayFrame } from '../../lib/media/probe.js';
import { resolutionOf } from '../../lib/media/ladder.js';
import { conversionRefusal, effectiveOutput } from '../../lib/ct/conversion.js';
import { OUTPUT_HANDLERS } from './outputs/index.js';
import { OutputFailure, type OutputPlanContext } from './outputs/types.js';
import { normalizeKey } from './outputs/keys.js';

// Key helpers used to live here; callers and tests still import them from the planner.
export { normalizeKey, splitKey, joinKey, hlsKeys, previewKey, inputPath, taskFilePath } from './outputs/keys.js';

export interface PlanContext {
  job: TranscodeJob;
  probe: ProbeInfo;
  /** Base priority of the client (spec.limits.priority, default 100). */
  clientPriority: number;
  now: string;
  newUuid: () => string;
  /** Outputs already known to fail (pre-checks with I/O, e.g. a missing watermark image). */
  failed?: Map<number, { reason: CtReason; details: string }>;
  /** Still images for audio-only VIDEO outputs (audio merge), by output index. */
  previews?: Map<number, S3Ref>;
}

export interface Plan {
  tasks: TaskStatus[];
  outputs: OutputStatus[];
}

/**
 * Plans every output of the job. The preview image an audio-only VIDEO output needs (audio merge)
 * comes from `previewRef`; without one such outputs fail.
 */
export function planJob(ctx: PlanContext, previewRef?: S3Ref): Plan {
  const { job, probe, now } = ctx;
  const videoUuid = job.metadata.uid ?? job.metadata.name ?? 'unknown';
  const priority = ctx.clientPriority + (job.spec.priority ?? 0);
  const input: S3Ref = { bucket: job.spec.job.input_bucket, key: normalizeKey(job.spec.job.input_file) };
  const frame = displayFrame(probe);
  const tasks: TaskStatus[] = [];
  const outputs: OutputStatus[] = [];

  job.spec.job.outputs.forEach((asked, index) => {
    const spec = effectiveOutput(asked, frame ? resolutionOf(frame.width, frame.height) : undefined);
    const task: OutputPlanContext['task'] = (t) => ({
      uuid: t.uuid,
      type: t.type,
      name: t.name,
      outputIndex: index,
      state: TaskState.PENDING,
      priority,
      payload: t.payload as Record<string, unknown>,
      inputs: t.inputs,
      placement: t.placement,
      failures: 0,
      createdAt: now,
      updatedAt: now,
      swf: { activityId: t.uuid },
    });
    try {
      const known = ctx.failed?.get(index);
      if (known) throw new OutputFailure(known.reason, known.details);
      const conversion = conversionRefusal(job.spec.job.input_type, asked);
      if (conversion) throw new OutputFailure(conversion.reason, conversion.details);
      const planned = OUTPUT_HANDLERS[spec.output_type].plan({
        job,
        probe,
        spec,
        index,
        key: normalizeKey(spec.output_file),
        label: `output ${index} ${spec.output_type}`,
        input,
        videoUuid,
        frame,
        preview: ctx.previews?.get(index) ?? previewRef,
        newUuid: ctx.newUuid,
        task,
      });
      tasks.push(...planned);
      outputs.push({ index, type: spec.output_type, status: 'Pending', bucket: spec.output_bucket });
    } catch (err) {
      if (!(err instanceof OutputFailure)) throw err;
      outputs.push({
        index,
        type: spec.output_type,
        status: 'Failed',
        bucket: spec.output_bucket,
        reason: err.reason,
        details: err.details,
      });
    }
  });
  return { tasks, outputs };
}
