// The contract between the scheduler and one processor per job type.
import type { FfmpegCommand } from 'fluent-ffmpeg';
import type { Logger } from '../../lib/log.js';
import type { Validator } from '../../lib/validate.js';
import type { RunnerJobType } from '../../lib/peertube/job-types.js';
import type { FfmpegSettings } from '../ffmpeg.js';
import type { OpenedInput } from '../input.js';
import type { AcceptedJob } from '../protocol-client.js';
import type { UploadFile } from '../upload.js';

export interface JobContext {
  job: AcceptedJob;
  /** This job's own scratch directory (removed when the job ends). */
  dir: string;
  logger: Logger;
  /** Aborted when the runner stops or the server no longer knows the job. */
  signal: AbortSignal;
  settings: FfmpegSettings;
  /** Downloads an input URL into the job dir; images get their extension from their content. */
  download(url: string, name: string): Promise<string>;
  /**
   * Opens the main input so ffmpeg can read it while it downloads (runner/input.ts); falls back to
   * downloading it completely first when its layout needs seeking.
   */
  openInput(url: string, name: string): Promise<OpenedInput>;
  /** Runs ffmpeg as step `step.index` of `step.count` (progress is spread over the steps). */
  ffmpeg(cmd: FfmpegCommand, label: string, totalSec: number | undefined, step?: { index: number; count: number }): Promise<void>;
}

export interface ProcessorResult {
  /** Non-file success payload fields (sent as payload[key]). */
  payload?: Record<string, string | number | boolean>;
  files: UploadFile[];
}

export interface Processor<P> {
  type: RunnerJobType;
  payload: Validator<P>;
  process(ctx: JobContext, payload: P): Promise<ProcessorResult>;
}

/** A processor with its payload type erased: validates the raw payload, then processes it. */
export interface RunnableProcessor {
  type: RunnerJobType;
  run(ctx: JobContext, payload: unknown): Promise<ProcessorResult>;
}

export function runnable<P>(p: Processor<P>): RunnableProcessor {
  // Payloads come from the server: checked here so a bad one fails the job with every bad field named.
  return { type: p.type, run: (ctx, raw) => p.process(ctx, p.payload.assert(raw)) };
}
