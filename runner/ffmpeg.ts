// Runs one fluent-ffmpeg command as a promise: real progress from ffmpeg's status lines, the stderr
// tail kept for the error message sent to the server, and SIGKILL on abort so no ffmpeg outlives its job
// (nor its runner: see orphan-guard.ts).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import ffmpeg, { type FfmpegCommand } from 'fluent-ffmpeg';
import type { Logger } from '../lib/log.js';
import { parseProgressLine, percentOf } from './progress.js';
import { guardChild, type OrphanGuard } from './orphan-guard.js';

export interface FfmpegSettings {
  /** -threads; 0 lets ffmpeg choose. */
  threads: number;
  /** Niceness of the ffmpeg process (0 = not reniced). */
  nice: number;
}

export class FfmpegError extends Error {
  override name = 'FfmpegError';
  constructor(
    message: string,
    readonly stderrTail: string,
  ) {
    super(stderrTail ? `${message}\n${stderrTail}` : message);
  }
}

const TAIL_LINES = 25;

export function newCommand(settings: FfmpegSettings): FfmpegCommand {
  return ffmpeg({ niceness: settings.nice, stdoutLines: TAIL_LINES });
}

export interface RunOptions {
  label: string;
  settings: FfmpegSettings;
  signal: AbortSignal;
  logger: Logger;
  /** Expected output duration, to turn ffmpeg's time= into a percentage. */
  totalSec?: number;
  onProgress?: (percent: number) => void;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'aborted'));
}

/** `HH:MM:SS.cc` → seconds; undefined for N/A or zero. */
export function clockSeconds(clock: string | undefined): number | undefined {
  const m = /^(\d+):(\d\d):(\d\d(?:\.\d+)?)$/.exec(clock?.trim() ?? '');
  const s = m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : 0;
  return s > 0 ? s : undefined;
}

/** Runs `cmd` (its output already set); resolves when ffmpeg exits 0. */
export function runCommand(cmd: FfmpegCommand, opts: RunOptions): Promise<void> {
  const { signal, logger } = opts;
  if (signal.aborted) return Promise.reject(abortError(signal));
  if (opts.settings.threads > 0) cmd.outputOptions('-threads', String(opts.settings.threads));
  const tail: string[] = [];
  // Without an expected duration, the input's (ffmpeg prints it as it opens the input) gives the percentage.
  let totalSec = opts.totalSec;
  return new Promise<void>((resolve, reject) => {
    let started = false;
    let startedAt = 0;
    let guard: OrphanGuard | undefined;
    const kill = () => {
      // Before 'start' fluent-ffmpeg may still be probing capabilities: the start handler kills then.
      if (started) cmd.kill('SIGKILL');
    };
    signal.addEventListener('abort', kill, { once: true });
    cmd
      .on('start', (line: string) => {
        started = true;
        startedAt = Date.now();
        const pid = (cmd as unknown as { ffmpegProc?: { pid?: number } }).ffmpegProc?.pid;
        if (pid !== undefined) guard = guardChild(pid, logger);
        logger.debug({ step: opts.label, command: line }, 'ffmpeg started');
        if (signal.aborted) cmd.kill('SIGKILL');
      })
      .on('codecData', (data: { duration?: string }) => {
        totalSec ??= clockSeconds(data.duration);
      })
      .on('stderr', (line: string) => {
        const t = parseProgressLine(line);
        if (t !== undefined) {
          const p = percentOf(t, totalSec);
          if (p !== undefined) opts.onProgress?.(p);
          return;
        }
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      })
      .on('error', (err: Error) => {
        guard?.release();
        signal.removeEventListener('abort', kill);
        if (signal.aborted) return reject(abortError(signal));
        // fluent-ffmpeg appends most of stderr to its message; our tail is shorter and ends at the cause.
        const head = /^ffmpeg (exited with code \d+|was killed with signal \w+)/.exec(err.message)?.[0] ?? err.message.split('\n')[0];
        reject(new FfmpegError(`ffmpeg failed (${opts.label}): ${head}`, tail.join('\n')));
      })
      .on('end', () => {
        guard?.release();
        signal.removeEventListener('abort', kill);
        if (signal.aborted) return reject(abortError(signal));
        logger.debug({ step: opts.label, ms: Date.now() - startedAt }, 'ffmpeg ended');
        opts.onProgress?.(100);
        resolve();
      })
      .run();
  });
}

/** The first line of `ffmpeg -version` and `ffprobe -version` (same env overrides as fluent-ffmpeg); throws if either is missing. */
export async function toolVersions(): Promise<{ ffmpeg: string; ffprobe: string }> {
  const run = promisify(execFile);
  const first = async (bin: string) => {
    try {
      return (await run(bin, ['-version'], { timeout: 30_000 })).stdout.split('\n')[0] ?? '';
    } catch (err) {
      throw new Error(`${bin} is not usable (${(err as Error).message}): install ffmpeg or set FFMPEG_PATH/FFPROBE_PATH`, { cause: err });
    }
  };
  const [f, p] = await Promise.all([first(process.env['FFMPEG_PATH'] || 'ffmpeg'), first(process.env['FFPROBE_PATH'] || 'ffprobe')]);
  return { ffmpeg: f, ffprobe: p };
}

/**
 * fluent-ffmpeg lists ffmpeg's formats and encoders before its first command and caches them per
 * process: do it at start so the first job does not pay for it.
 */
export async function warmUpCapabilities(): Promise<void> {
  await Promise.all([
    new Promise<void>((resolve, reject) => ffmpeg.getAvailableFormats((err) => (err ? reject(err) : resolve()))),
    new Promise<void>((resolve, reject) => ffmpeg.getAvailableEncoders((err) => (err ? reject(err) : resolve()))),
  ]);
}
