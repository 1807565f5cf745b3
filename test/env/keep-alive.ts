// Restarts a component that dies, as a Deployment (restartPolicy: Always) would: any exit, kill -9
// included, starts it again after a back-off (1 s doubling to 30 s, reset after a minute of uptime).
// Used by the local stack's daemon and by the fault-injection suite.
import type { ManagedProcess } from './process.js';

export interface KeepAlive {
  /** The live process (the latest one started). */
  current(): ManagedProcess;
  /** Restarts so far. */
  restarts(): number;
  /** Stop restarting (call before stopping the processes). */
  release(): void;
}

export function keepAlive(
  name: string,
  start: () => ManagedProcess | Promise<ManagedProcess>,
  first: ManagedProcess,
  say: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): KeepAlive {
  let proc = first;
  let count = 0;
  let released = false;
  let backoffMs = 1000;
  let startedAt = Date.now();
  const watch = (p: ManagedProcess): void => {
    void p.exited.then((code) => {
      if (released) return;
      if (Date.now() - startedAt > 60_000) backoffMs = 1000;
      say(`[keep-alive] ${name} exited (${code ?? 'signal'}); restarting in ${backoffMs} ms; see ${p.logFile}`);
      const delay = backoffMs;
      backoffMs = Math.min(backoffMs * 2, 30_000);
      const retry = (): void => {
        if (released) return;
        Promise.resolve()
          .then(start)
          .then(
            (next) => {
              count += 1;
              proc = next;
              startedAt = Date.now();
              if (released) void next.stop();
              else watch(next);
            },
            (err: unknown) => {
              say(`[keep-alive] ${name} failed to start: ${err instanceof Error ? err.message : String(err)}; retrying`);
              setTimeout(retry, backoffMs).unref();
              backoffMs = Math.min(backoffMs * 2, 30_000);
            },
          );
      };
      setTimeout(retry, delay).unref();
    });
  };
  watch(first);
  return {
    current: () => proc,
    restarts: () => count,
    release() {
      released = true;
    },
  };
}
