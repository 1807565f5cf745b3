// No encoder outlives its runner, even after kill -9 (which no handler can catch): each ffmpeg gets a
// tiny `sh` watchdog holding the read end of a pipe whose write end only this process has. When the
// runner dies, for whatever reason, the kernel closes that end; `read` sees EOF and the watchdog
// SIGKILLs the ffmpeg. /bin/sh only: no native addon, no file to write, works on a noexec /tmp.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../lib/log.js';

// $1 = the pid to kill. `read` returns on EOF (runner gone) or on a line (never sent).
const WATCHDOG = 'read -r _; kill -KILL "$1" 2>/dev/null; exit 0';

export interface OrphanGuard {
  /** Call when the guarded process has exited: the watchdog is removed without firing. */
  release(): void;
}

/** Kills `pid` with SIGKILL when this process dies before release() is called. */
export function guardChild(pid: number, logger: Logger): OrphanGuard {
  let dog: ChildProcess | undefined;
  try {
    dog = spawn('/bin/sh', ['-c', WATCHDOG, 'ct-ffmpeg-guard', String(pid)], { stdio: ['pipe', 'ignore', 'ignore'] });
    dog.on('error', (err) => logger.warn({ err: err.message, pid }, 'ffmpeg guard failed to start: ffmpeg may outlive a killed runner'));
    dog.stdin?.on('error', () => undefined); // the watchdog died first: nothing to guard any more
    // The guard must never keep the runner alive on its own.
    dog.unref();
    (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  } catch (err) {
    logger.warn({ err: (err as Error).message, pid }, 'ffmpeg guard failed to start: ffmpeg may outlive a killed runner');
  }
  return {
    release() {
      // SIGKILL, never EOF: EOF is the "runner died" signal and would make the watchdog fire.
      if (dog && dog.exitCode === null && dog.signalCode === null) dog.kill('SIGKILL');
    },
  };
}
