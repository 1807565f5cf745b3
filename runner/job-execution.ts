// One accepted job from start to end: scratch dir, inputs, processor, progress updates (the
// server's heartbeat), then success with the files, error with the message, or abort on stop.
import { mkdirSync, openSync, readSync, closeSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FfmpegCommand } from 'fluent-ffmpeg';
import { errorInfo, type Logger } from '../lib/log.js';
import type { RunnerJobType } from '../lib/peertube/job-types.js';
import { CODES } from '../lib/peertube/problems.js';
import { runCommand, type FfmpegSettings } from './ffmpeg.js';
import { openInput } from './input.js';
import { PROCESSORS } from './processors/index.js';
import { assertStrictPayload } from './peertube-strict.js';
import type { JobContext, ProcessorResult } from './processors/types.js';
import { StepProgress } from './progress.js';
import { ProtocolError, UnreachableError, type AcceptedJob, type ProtocolClient } from './protocol-client.js';

/** Why a job stopped before its end. */
export class JobStopped extends Error {
  override name = 'JobStopped';
  constructor(
    readonly kind: 'runner-stopping' | 'lost',
    message: string,
  ) {
    super(message);
  }
}

export interface JobDeps {
  client: ProtocolClient;
  runnerToken: string;
  settings: FfmpegSettings;
  workDir: string;
  updateIntervalMs: number;
  /** Check payloads against PeerTube's exact field names first (runner/peertube-strict.ts). */
  peertubeStrict?: boolean;
  /** How long a finished job keeps retrying `success` (result kept on disk) before reporting an error; default 600 s. */
  successRetryMs?: number;
  /** Upper bound of the back-off between two `success` attempts; default 30 s. */
  maxBackoffMs?: number;
  logger: Logger;
}

export type JobOutcome = 'completed' | 'errored' | 'aborted' | 'lost';

const IMAGE_MAGIC: [string, (b: Buffer) => boolean][] = [
  ['png', (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))],
  ['jpg', (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ['webp', (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP'],
  ['gif', (b) => b.subarray(0, 4).toString('latin1') === 'GIF8'],
];

/** ffmpeg picks its image demuxer (and -loop support) from the extension: give images theirs. */
function withImageExtension(file: string): string {
  const head = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  const ext = IMAGE_MAGIC.find(([, test]) => test(head))?.[0];
  if (!ext) return file;
  renameSync(file, `${file}.${ext}`);
  return `${file}.${ext}`;
}

function isGone(err: unknown): boolean {
  // 404: the job (or its token) no longer exists; 400/409 not_in_processing: cancelled or taken back.
  return err instanceof ProtocolError && (err.status === 404 || err.code === CODES.NOT_PROCESSING);
}

function isTransient(err: unknown): boolean {
  return err instanceof UnreachableError || (err instanceof ProtocolError && (err.status >= 500 || err.status === 429));
}

export class JobExecution {
  private readonly controller = new AbortController();
  /** Aborted when a streamed input's download fails (ffmpeg stops with that error) or the job ends. */
  private readonly inputs = new AbortController();
  private readonly dir: string;
  private readonly logger: Logger;
  private progress = 0;
  private updating = false;

  constructor(
    readonly job: AcceptedJob,
    private readonly deps: JobDeps,
  ) {
    this.dir = join(deps.workDir, job.uuid.replace(/[^\w-]/g, '_'));
    this.logger = deps.logger.child({ jobUuid: job.uuid, type: job.type });
  }

  /** Stops the job: ffmpeg is killed, and for a runner stop the job is given back with abort. */
  stop(kind: JobStopped['kind'], message: string): void {
    if (!this.controller.signal.aborted) this.controller.abort(new JobStopped(kind, message));
  }

  async run(): Promise<JobOutcome> {
    const started = Date.now();
    this.logger.info('job started');
    const timer = setInterval(() => void this.sendUpdate(), this.deps.updateIntervalMs);
    try {
      mkdirSync(this.dir, { recursive: true });
      void this.sendUpdate();
      const processor = PROCESSORS[this.job.type as RunnerJobType];
      if (!processor) throw new Error(`job type ${this.job.type} is not supported by this runner`);
      if (this.deps.peertubeStrict) assertStrictPayload(this.job.type, this.job.payload);
      const result = await processor.run(this.context(), this.job.payload);
      this.throwIfStopped();
      // The heartbeat keeps going while the result is delivered: the task stays ours meanwhile.
      await this.sendSuccess(result);
      clearInterval(timer);
      this.logger.info({ durationMs: Date.now() - started, files: result.files.map((f) => f.filename ?? f.path) }, 'job succeeded');
      return 'completed';
    } catch (err) {
      clearInterval(timer);
      return await this.fail(err);
    } finally {
      this.inputs.abort(new Error('job ended')); // downloads still running (ffmpeg failed early) stop here
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private throwIfStopped(): void {
    const reason: unknown = this.controller.signal.reason;
    if (this.controller.signal.aborted) throw reason instanceof Error ? reason : new JobStopped('lost', String(reason));
  }

  private async fail(err: unknown): Promise<JobOutcome> {
    const stopped = this.controller.signal.aborted ? (this.controller.signal.reason as JobStopped) : undefined;
    if (stopped?.kind === 'lost') {
      this.logger.warn({ reason: stopped.message }, 'job no longer assigned to this runner: dropped');
      return 'lost';
    }
    if (stopped?.kind === 'runner-stopping') {
      try {
        await this.deps.client.abort(this.deps.runnerToken, this.job, stopped.message);
        this.logger.info({ reason: stopped.message }, 'job aborted (given back to the server)');
      } catch (e) {
        this.logger.warn({ err: errorInfo(e) }, 'could not abort the job; the server watchdog will take it back');
      }
      return 'aborted';
    }
    if (isGone(err)) {
      this.logger.warn({ err: errorInfo(err) }, 'job no longer assigned to this runner: dropped');
      return 'lost';
    }
    const message = err instanceof Error ? err.message : String(err);
    this.logger.error({ err: errorInfo(err) }, 'job failed');
    try {
      await this.deps.client.error(this.deps.runnerToken, this.job, message);
    } catch (e) {
      this.logger.warn({ err: errorInfo(e) }, 'could not report the job error; the server watchdog will take it back');
    }
    return 'errored';
  }

  /**
   * Delivers the finished result. An unreachable or failing server (api-server restarting, kube-apiserver
   * down) is retried with back-off for successRetryMs, the files staying on disk: redoing a finished
   * transcode costs far more than waiting. The server saying the job is gone ends the wait at once.
   */
  private async sendSuccess(result: ProcessorResult): Promise<void> {
    const deadline = Date.now() + (this.deps.successRetryMs ?? 600_000);
    let delay = 1000;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.client.success(this.deps.runnerToken, this.job, result.payload ?? {}, result.files);
        if (attempt > 1) this.logger.info({ attempt }, 'success delivered after retries');
        return;
      } catch (err) {
        if (!isTransient(err) || Date.now() + delay > deadline) throw err;
        this.logger.warn({ err: errorInfo(err), attempt, retryInMs: delay }, 'success upload failed, retrying (result kept)');
        await this.sleep(delay);
        this.throwIfStopped();
        delay = Math.min(delay * 2, this.deps.maxBackoffMs ?? 30_000);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.controller.signal;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    });
  }

  private async sendUpdate(): Promise<void> {
    if (this.updating || this.controller.signal.aborted) return;
    this.updating = true;
    try {
      await this.deps.client.update(this.deps.runnerToken, this.job, this.progress, this.controller.signal);
    } catch (err) {
      if (isGone(err)) this.stop('lost', `the server no longer knows this job (${(err as Error).message})`);
      else if (!this.controller.signal.aborted) this.logger.warn({ err: errorInfo(err) }, 'progress update failed');
    } finally {
      this.updating = false;
    }
  }

  private context(): JobContext {
    const { client, runnerToken, settings } = this.deps;
    const signal = this.controller.signal;
    const ffmpegSignal = AbortSignal.any([signal, this.inputs.signal]);
    const steps = new StepProgress((p) => (this.progress = p));
    return {
      job: this.job,
      dir: this.dir,
      logger: this.logger,
      signal,
      settings,
      download: async (url, name) => {
        const dest = join(this.dir, name);
        const t = Date.now();
        await client.download(runnerToken, this.job, url, dest, signal);
        this.logger.debug({ url, ms: Date.now() - t }, 'input downloaded');
        return withImageExtension(dest);
      },
      openInput: async (url, name) => {
        const dest = join(this.dir, name);
        const downloadSignal = AbortSignal.any([signal, this.inputs.signal]);
        const body = await client.openDownload(runnerToken, this.job, url, downloadSignal);
        const input = await openInput(body, dest, downloadSignal, (err) =>
          this.inputs.abort(new Error(`input download failed: ${err.message}`)),
        );
        this.logger.info({ url, streaming: input.streaming, why: input.why }, 'input opened');
        return input;
      },
      ffmpeg: (cmd: FfmpegCommand, label: string, totalSec: number | undefined, step = { index: 0, count: 1 }) =>
        runCommand(cmd, {
          label,
          settings,
          signal: ffmpegSignal,
          logger: this.logger,
          ...(totalSec !== undefined ? { totalSec } : {}),
          onProgress: (p) => steps.step(step.index, step.count, p),
        }),
    };
  }
}
