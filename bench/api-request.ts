// Benchmark: POST /api/v1/runners/jobs/request with 1,000 pending tasks and 100 registered
// runners — throughput and latency percentiles (served from the cache, no apiserver call).
import { percentile, registerRunners, seedPendingTasks, startBenchEnv } from './api-common.js';

const DURATION_MS = Number(process.env['BENCH_DURATION_MS'] ?? 10_000);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);

const b = await startBenchEnv();
try {
  const runners = await registerRunners(b, 100);
  await seedPendingTasks(b, 10, 100);
  // Wait until the cache serves a full page.
  for (;;) {
    const r = await fetch(`${b.url}/api/v1/runners/jobs/request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ runnerToken: runners[0] }),
    });
    const body = (await r.json()) as { availableJobs: unknown[] };
    if (body.availableJobs.length === 10) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  // Sequential baseline: what the request logic costs on top of a bare HTTP round trip.
  const seq = async (fn: () => Promise<Response>, n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await (await fn()).arrayBuffer();
    return (performance.now() - t0) / n;
  };
  const healthzMs = await seq(() => fetch(`${b.url}/healthz`), 300);
  const requestMs = await seq(
    () =>
      fetch(`${b.url}/api/v1/runners/jobs/request`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ runnerToken: runners[1] }),
      }),
    300,
  );
  const latencies: number[] = [];
  let errors = 0;
  const end = Date.now() + DURATION_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      let i = w;
      while (Date.now() < end) {
        const t0 = performance.now();
        const res = await fetch(`${b.url}/api/v1/runners/jobs/request`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ runnerToken: runners[i++ % runners.length] }),
        });
        await res.arrayBuffer();
        if (res.status !== 200) errors += 1;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((x, y) => x - y);
  console.log(
    JSON.stringify({
      bench: 'jobs/request',
      pendingTasks: 1000,
      runners: 100,
      concurrency: CONCURRENCY,
      requests: latencies.length,
      errors,
      throughputPerSec: Math.round(latencies.length / seconds),
      p50ms: +percentile(latencies, 50).toFixed(2),
      p99ms: +percentile(latencies, 99).toFixed(2),
      maxms: +latencies[latencies.length - 1]!.toFixed(2),
      sequentialHealthzMs: +healthzMs.toFixed(2),
      sequentialRequestMs: +requestMs.toFixed(2),
    }),
  );
} finally {
  await b.stop();
}
