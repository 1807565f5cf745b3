// Benchmark P3 (issue 15): POST /api/v1/runners/jobs/request with 1,000 pending tasks and 100
// registered runners, served by the api-server, against two baselines answering the same bytes on
// the same machine (bench/support/bare-http.ts): a bare express app and bare node:http. Load comes from
// Debian's wrk (a compiled load generator; a Lua script POSTs the body, rotating the 100 runner
// tokens). Per connection count (c=16, c=64): a warm-up, then rounds alternating the targets (the
// order rotates every round), medians of req/s and of wrk's p50/p99; then the same under a CPU hog
// (two busy processes) and each target's loaded/unloaded ratio. Also prints the api-server's
// event-loop lag (ct_api_event_loop_lag_seconds) per phase.
//   npm run bench -- api-request [--seconds 5] [--rounds 3] [--connections 16,64] [--hog yes|no]
//                                [--threads 2] [--targets ours,express,node] [--cpu-prof DIR] [--node-args='--flag ...']
// (--cpu-prof writes a V8 CPU profile of the api-server into DIR when it exits; --node-args are
// extra node flags for the api-server, to compare V8 settings.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnManaged, freePort, waitFor, type ManagedProcess } from '../test/env/process.js';
import { REPO_ROOT } from '../test/env/paths.js';
import { registerRunners, seedPendingTasks, startBenchEnv } from './api-common.js';
import { cpuMs, hogCpu, parseWrk, runWrk, supervisedPid, wrkPostScript, type WrkResult } from './support/wrk.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16,64' },
    hog: { type: 'string', default: 'yes' },
    threads: { type: 'string', default: '2' },
    'cpu-prof': { type: 'string' },
    'node-args': { type: 'string', default: '' },
    targets: { type: 'string', default: 'ours,express,node' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = values.connections.split(',').map(Number);
const THREADS = Number(values.threads);
const PATH = '/api/v1/runners/jobs/request';

if (spawnSync('wrk', ['--version']).error) {
  process.stderr.write('wrk is not installed (Debian: apt-get install -y wrk)\n');
  process.exit(2);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const CONTACT_WRITES = 'ct_api_runner_contact_writes_total';

type Target = 'ours' | 'express' | 'node';
const TARGETS = values.targets.split(',') as Target[];
if (TARGETS.some((t) => !['ours', 'express', 'node'].includes(t))) throw new Error(`--targets: a list of ours, express, node`);

interface Run extends WrkResult {
  target: Target;
  connections: number;
  hog: boolean;
  /** CPU time the server used per request served, µs: independent of how much CPU it was given. */
  cpuUsPerRequest: number;
}

// Our children (servers, hogs) are unref'd and stopping them awaits their exit: keep the loop alive.
const alive = setInterval(() => undefined, 1000);
const dir = mkdtempSync(join(tmpdir(), 'ct-bench-request-'));
const nodeArgs = [
  ...values['node-args'].split(' ').filter(Boolean),
  ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []),
];
const b = await startBenchEnv(process.env['BENCH_LOG_LEVEL'] ? { LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] } : {}, nodeArgs);
const baselines: ManagedProcess[] = [];
try {
  const runners = await registerRunners(b, 100);
  await seedPendingTasks(b, 10, 100);
  const page = await waitFor('a full page of available jobs', async () => {
    const r = await fetch(`${b.url}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ runnerToken: runners[0] }),
    });
    const text = await r.text();
    return (JSON.parse(text) as { availableJobs: unknown[] }).availableJobs.length === 10 ? text : undefined;
  });
  // The baselines answer exactly what ours answers.
  const bodyFile = join(dir, 'response.json');
  writeFileSync(bodyFile, page);
  const urls: Record<Target, string> = { ours: `${b.url}${PATH}`, express: '', node: '' };
  const pids: Record<Target, number> = { ours: supervisedPid(b.api.pid), express: 0, node: 0 };
  for (const kind of ['express', 'node'] as const) {
    const port = await freePort();
    const proc = spawnManaged(
      `bare-${kind}`,
      process.execPath,
      [join(REPO_ROOT, 'dist', 'bench', 'support', 'bare-http.js'), kind, String(port), bodyFile],
      {
        logFile: join(dir, `bare-${kind}.log`),
      },
    );
    baselines.push(proc);
    urls[kind] = `http://127.0.0.1:${port}${PATH}`;
    await waitFor(`bare ${kind} process`, async () => (pids[kind] = supervisedPid(proc.pid)) || undefined);
    await waitFor(`bare ${kind} server`, async () => {
      const r = await fetch(urls[kind], { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      const text = await r.text();
      if (text !== page) throw new Error(`bare ${kind} answers other bytes`);
      return true;
    });
  }
  const script = join(dir, 'post.lua');
  writeFileSync(script, wrkPostScript(runners));

  const runs: Run[] = [];
  const lag: Record<string, number> = {};
  const contactWrites: Record<string, number> = {};
  const phase = async (hog: boolean) => {
    const stopHog = hog ? hogCpu(2, (CONNECTIONS.length * (ROUNDS + 1) * TARGETS.length * (SECONDS + 1) + 60) * 1000, dir) : undefined;
    try {
      if (hog) await new Promise((r) => setTimeout(r, 1000));
      for (const c of CONNECTIONS) {
        for (const t of TARGETS) parseWrk(await runWrk(urls[t], { threads: THREADS, connections: c, seconds: 2, script })); // warm-up
        const before = await (await fetch(`${b.url}/metrics`)).text();
        for (let r = 0; r < ROUNDS; r++) {
          const order = TARGETS.map((_, i) => TARGETS[(i + r) % TARGETS.length]!);
          for (const t of order) {
            const cpu0 = cpuMs(pids[t]);
            const res = parseWrk(await runWrk(urls[t], { threads: THREADS, connections: c, seconds: SECONDS, script }));
            const cpuUsPerRequest = ((cpuMs(pids[t]) - cpu0) * 1000) / (res.requestsPerSec * SECONDS);
            runs.push({ target: t, connections: c, hog, ...res, cpuUsPerRequest });
            process.stderr.write(
              `${hog ? 'hog ' : ''}c=${c} round ${r + 1} ${t}: ${res.requestsPerSec.toFixed(0)} req/s p50 ${res.p50ms} ms p99 ${res.p99ms} ms ` +
                `CPU ${cpuUsPerRequest.toFixed(0)} µs/request` +
                `${res.non2xx ? ` non-2xx ${res.non2xx}` : ''}${res.socketErrors ? ` socket errors ${res.socketErrors}` : ''}\n`,
            );
          }
        }
        const after = await (await fetch(`${b.url}/metrics`)).text();
        lag[`${hog ? 'hog' : 'unloaded'} c=${c}`] = eventLoopLagQuantileDelta(before, after, 0.99);
        contactWrites[`${hog ? 'hog' : 'unloaded'} c=${c}`] = counterSum(after, CONTACT_WRITES) - counterSum(before, CONTACT_WRITES);
      }
    } finally {
      await stopHog?.();
    }
  };
  await phase(false);
  if (values.hog !== 'no') await phase(true);

  const cell = (t: Target, c: number, hog: boolean) => {
    const rs = runs.filter((x) => x.target === t && x.connections === c && x.hog === hog);
    return {
      rps: Math.round(median(rs.map((x) => x.requestsPerSec))),
      p50ms: +median(rs.map((x) => x.p50ms)).toFixed(2),
      p99ms: +median(rs.map((x) => x.p99ms)).toFixed(2),
      errors: rs.reduce((n, x) => n + x.non2xx + x.socketErrors, 0),
      cpuUsPerRequest: Math.round(median(rs.map((x) => x.cpuUsPerRequest))),
    };
  };
  const rows: string[] = [
    '| load | c | target | req/s (median) | p50 ms | p99 ms | CPU µs/req | errors | ours / target | loaded / unloaded |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const summary: Record<string, unknown> = {};
  for (const hog of values.hog !== 'no' ? [false, true] : [false]) {
    for (const c of CONNECTIONS) {
      const ours = cell('ours', c, hog);
      for (const t of TARGETS) {
        const x = cell(t, c, hog);
        const unloaded = cell(t, c, false);
        const ratio = t === 'ours' ? '' : (ours.rps / x.rps).toFixed(2);
        const loadedRatio = hog ? (x.rps / unloaded.rps).toFixed(2) : '';
        rows.push(
          `| ${hog ? 'hog' : 'none'} | ${c} | ${t} | ${x.rps} | ${x.p50ms} | ${x.p99ms} | ${x.cpuUsPerRequest} | ${x.errors} | ${ratio} | ${loadedRatio} |`,
        );
        summary[`${hog ? 'hog' : 'unloaded'} c=${c} ${t}`] = {
          ...x,
          ...(ratio ? { oursOverTarget: +ratio } : {}),
          ...(loadedRatio ? { loadedOverUnloaded: +loadedRatio } : {}),
        };
      }
    }
  }
  console.log(rows.join('\n'));
  console.log(`api-server event-loop lag p99 (ms, from its histogram over each phase's rounds): ${JSON.stringify(lag)}`);
  console.log(`api-server runner status writes (lastContact) during each phase's rounds: ${JSON.stringify(contactWrites)}`);
  console.log(
    JSON.stringify({
      bench: 'api-request',
      pendingTasks: 1000,
      runners: 100,
      seconds: SECONDS,
      rounds: ROUNDS,
      threads: THREADS,
      summary,
      lagP99ms: lag,
    }),
  );
} catch (err) {
  process.exitCode = 1;
  console.error(err);
} finally {
  for (const p of baselines) await p.stop();
  await b.stop();
  rmSync(dir, { recursive: true, force: true });
  clearInterval(alive);
}

/** The sum of a counter over its label sets. */
function counterSum(metrics: string, name: string): number {
  let n = 0;
  for (const m of metrics.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'gm'))) n += Number(m[1]);
  return n;
}

/** Bucket counts of the api-server's event-loop lag histogram (le → cumulative count). */
function lagBuckets(metrics: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of metrics.matchAll(/^ct_api_event_loop_lag_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)) {
    out.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  }
  return out;
}

function quantileOf(buckets: Map<number, number>, q: number): number {
  const les = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? 0;
  if (!total) return NaN;
  for (const le of les) if (buckets.get(le)! >= q * total) return le === Infinity ? Infinity : le * 1000;
  return NaN;
}

/** The q-quantile (bucket upper bound, ms) of the lag samples taken between two scrapes. */
function eventLoopLagQuantileDelta(before: string, after: string, q: number): number {
  const a = lagBuckets(before);
  const delta = new Map<number, number>();
  for (const [le, n] of lagBuckets(after)) delta.set(le, n - (a.get(le) ?? 0));
  return quantileOf(delta, q);
}
