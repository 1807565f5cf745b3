// The contract between the job reconciler and one handler per CT output type (mirrors
// runner/processors/): pre-checks that need I/O, planning into runner tasks, finalization.
import type { S3Client } from '@aws-sdk/client-s3';
import type { OutputSpec, OutputType } from '../../../lib/schema/ct-job.js';
import type { OutputStatus, ProbeInfo, S3Ref, TaskStatus, TranscodeJob } from '../../../lib/schema/transcode-job.js';
import type { RunnerJobType } from '../../../lib/peertube/job-types.js';
import type { CtReason } from '../../../lib/presets/resolve.js';
import type { displayFrame } from '../../../lib/media/probe.js';

export type Finalized = Pick<
  OutputStatus,
  'status' | 'bucket' | 'keys' | 'keyCount' | 'keyPrefix' | 'manifest' | 'size' | 'duration' | 'width' | 'height' | 'reason' | 'details'
>;

/** An output that cannot be made: it fails alone (CT semantics), the job goes on. */
export class OutputFailure {
  constructor(
    readonly reason: CtReason,
    readonly details: string,
  ) {}
}

/** A result is missing or unreadable: the output fails with S3_OPS_FAILED. */
export class FinalizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FinalizeError';
  }
}

/** What a handler gets to plan one output. */
export interface OutputPlanContext {
  job: TranscodeJob;
  probe: ProbeInfo;
  /** The effective output spec (conversion rules applied). */
  spec: OutputSpec;
  index: number;
  /** The normalized output key. */
  key: string;
  /** `output <index> <TYPE>`: task names start with it. */
  label: string;
  input: S3Ref;
  videoUuid: string;
  frame: ReturnType<typeof displayFrame>;
  /** Still image for an audio-only VIDEO output, from the pre-check. */
  preview: S3Ref | undefined;
  newUuid: () => string;
  /** Builds a task with the job's priority and clock. */
  task(t: {
    name: string;
    type: RunnerJobType;
    uuid: string;
    payload: object;
    inputs: TaskStatus['inputs'];
    placement: TaskStatus['placement'];
  }): TaskStatus;
}

export interface PreCheckContext {
  s3: S3Client;
  job: TranscodeJob;
  probe: ProbeInfo;
  spec: OutputSpec;
}

/** A pre-check outcome: a failure, a still image to use, or nothing to report. */
export type PreCheckResult = { failed?: { reason: CtReason; details: string }; preview?: S3Ref };

export interface FinalizeContext {
  s3: S3Client;
  spec: OutputSpec;
  index: number;
  tasks: TaskStatus[];
  /** Every result key of the tasks and their total size (checked with HeadObject). */
  keys: string[];
  size: number;
}

export interface OutputHandler<T extends OutputType = OutputType> {
  type: T;
  /** Checks that need I/O before planning (e.g. the watermark image exists). Optional: most need none. */
  preCheck?(ctx: PreCheckContext): Promise<PreCheckResult>;
  /** The runner tasks of one output; throws OutputFailure when the output cannot be made. */
  plan(ctx: OutputPlanContext): TaskStatus[];
  /** The output's status once every task completed; throws FinalizeError. */
  finalize(ctx: FinalizeContext): Promise<Finalized>;
}

/** Output-independent parts of every placement. */
export function placementBase(spec: OutputSpec): TaskStatus['placement'] {
  return {
    bucket: spec.output_bucket,
    ...(spec.s3_rrs ? { storageClass: 'REDUCED_REDUNDANCY' } : {}),
    ...(spec.s3_encrypt ? { sse: 'AES256' } : {}),
  };
}
