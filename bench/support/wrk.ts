// wrk (Debian's package) as the load generator of the HTTP benchmarks: a Lua script POSTing a JSON
// body that rotates through runner tokens, a parser of wrk's --latency report, and a bounded CPU hog.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnManaged } from '../../test/env/process.js';

export interface WrkResult {
  requestsPerSec: number;
  p50ms: number;
  p99ms: number;
  non2xx: number;
  socketErrors: number;
}

/** A wrk script POSTing {"runnerToken": …} with each request taking the next token. */
export function wrkPostScript(tokens: string[]): string {
  return [
    'wrk.method = "POST"',
    'wrk.headers["Content-Type"] = "application/json"',
    `local bodies = { ${tokens.map((t) => JSON.stringify(JSON.stringify({ runnerToken: t }))).join(', ')} }`,
    'local i = 0',
    'request = function()',
    '  i = i % #bodies + 1',
    '  return wrk.format(nil, nil, nil, bodies[i])',
    'end',
    '',
  ].join('\n');
}

export function runWrk(url: string, o: { threads: number; connections: number; seconds: number; script: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = [`-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, '--latency', '-s', o.script, url];
    const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk ${args.join(' ')} exited ${code}: ${out}`))));
  });
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function duration(text: string, label: string): number {
  const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text);
  if (!m) throw new Error(`wrk output has no ${label} latency:\n${text}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export function parseWrk(text: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  if (!rps) throw new Error(`wrk output has no Requests/sec:\n${text}`);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    requestsPerSec: Number(rps[1]),
    p50ms: duration(text, '50%'),
    p99ms: duration(text, '99%'),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
    socketErrors: sock ? sock.slice(1).reduce((n, x) => n + Number(x), 0) : 0,
  };
}

/** Starts `n` busy processes that stop by themselves after `ms` (or when stopped, or with us). */
export function hogCpu(n: number, ms: number, logDir: string): () => Promise<void> {
  const hogs = Array.from({ length: n }, (_, i) =>
    spawnManaged(
      `cpu-hog-${i}`,
      process.execPath,
      ['-e', 'const end = Date.now() + Number(process.argv[1]); while (Date.now() < end);', String(ms)],
      {
        logFile: join(logDir, `cpu-hog-${i}.log`),
      },
    ),
  );
  return async () => {
    for (const h of hogs) await h.stop();
  };
}

/** The command a hack/supervise.sh process runs (its child that is not the supervisor's `sleep`). */
export function supervisedPid(supervisorPid: number): number {
  const children = readFileSync(`/proc/${supervisorPid}/task/${supervisorPid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  const command = children.filter((pid) => pid && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'sleep');
  if (command.length !== 1) throw new Error(`supervisor ${supervisorPid} runs [${command.join(', ')}]`);
  return command[0]!;
}

const TICK_MS = 1000 / 100; // USER_HZ: 100 on Linux

/** CPU time (user + system) a process has used so far, ms. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}
