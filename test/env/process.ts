// Child processes of the test environment: supervised (they die with their parent, even on
// kill -9), logged to a file, and stopped in order.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { SUPERVISE } from './paths.js';

export interface ManagedProcess {
  name: string;
  pid: number;
  logFile: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface SpawnOptions {
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The process whose death ends this one; default: this process. */
  parentPid?: number;
}

export function spawnManaged(name: string, command: string, args: string[], opts: SpawnOptions): ManagedProcess {
  const fd = openSync(opts.logFile, 'a');
  const child = spawn(SUPERVISE, [String(opts.parentPid ?? process.pid), command, ...args], {
    stdio: ['ignore', fd, fd],
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    detached: true,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`failed to start ${name} (${command})`);
  // The supervisor leads its own process group, which everything it starts inherits: hack/test.sh
  // checks these groups are empty after the run (moto and our processes have no run path in argv).
  const runDir = process.env['CT_TEST_RUN_DIR'];
  if (runDir) appendFileSync(join(runDir, 'pgids'), `${child.pid}\n`);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.unref();
  const pid = child.pid;
  return {
    name,
    pid,
    logFile: opts.logFile,
    child,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        // The whole process group (supervisor + command): a SIGKILL cannot be trapped and relayed.
        process.kill(-pid, signal);
      } catch {
        return; // already gone
      }
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 8000).unref());
      if ((await Promise.race([exited, timeout])) === 'timeout') {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* group already gone */
        }
        await exited;
      }
    },
  };
}

/** A free TCP port on loopback (the kernel picks it; tiny race accepted for tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr && typeof addr === 'object') {
        const port = addr.port;
        srv.close(() => resolve(port));
      } else reject(new Error('no port'));
    });
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
