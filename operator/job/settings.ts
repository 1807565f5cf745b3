// Job controller settings read from the environment.

/** Stall watchdog threshold (CT_STALL_SECONDS, default 180 s: 3× the official runner's 60 s update interval). */
export function stallMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['CT_STALL_SECONDS'];
  if (raw === undefined || raw === '') return 180_000;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 86400)
    throw new Error(`invalid CT_STALL_SECONDS ${JSON.stringify(raw)}: must be seconds between 0 and 86400`);
  return Math.round(n * 1000);
}

/** Parallel job reconciles (CT_JOB_CONCURRENCY, default 4): probes and SWF calls are mostly waiting. */
export function concurrencyFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['CT_JOB_CONCURRENCY'];
  if (raw === undefined || raw === '') return 4;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new Error(`invalid CT_JOB_CONCURRENCY ${JSON.stringify(raw)}: must be an integer between 1 and 256`);
  return n;
}
