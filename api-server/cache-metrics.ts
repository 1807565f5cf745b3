// Metrics computed from this replica's caches at scrape time (every replica sees the whole
// namespace, so dashboards take max() across replicas), plus the dispatch latency observed by the
// replica that served the accept. Used by the Grafana dashboard in the chart.
import { Gauge, Histogram } from 'prom-client';
import { JOB_PHASES, TaskState, type TaskStatus, type TranscodeJob } from '../lib/schema/transcode-job.js';
import type { TranscodeRunner } from '../lib/schema/transcode-runner.js';
import { registry } from './metrics.js';
import type { Store } from './store.js';

export const dispatchLatency = new Histogram({
  name: 'ct_api_task_dispatch_seconds',
  help: 'Time a task waited as pending before a runner accepted it, by runner job type.',
  labelNames: ['type'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
  registers: [registry],
});

/** Since when a task has been pending: its creation, or its parent's end for a child task. */
function pendingSince(job: TranscodeJob, task: TaskStatus): number {
  const parent = task.dependsOn ? job.status?.tasks?.find((t) => t.uuid === task.dependsOn) : undefined;
  return Date.parse(parent?.finishedAt ?? task.createdAt);
}

export function observeDispatch(job: TranscodeJob, task: TaskStatus, now = Date.now()): void {
  const since = pendingSince(job, task);
  if (Number.isFinite(since)) dispatchLatency.observe({ type: task.type }, Math.max(0, now - since) / 1000);
}

export function registerCacheMetrics(store: Store, isOnline: (r: TranscodeRunner) => boolean): void {
  new Gauge({
    name: 'ct_api_jobs',
    help: 'TranscodeJobs in the cache by phase.',
    labelNames: ['phase'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>(JOB_PHASES.map((p) => [p, 0]));
      for (const j of store.jobs.cache.list()) {
        const p = j.status?.phase ?? 'Pending';
        counts.set(p, (counts.get(p) ?? 0) + 1);
      }
      for (const [phase, n] of counts) this.set({ phase }, n);
    },
  });
  new Gauge({
    name: 'ct_api_pending_tasks',
    help: 'Tasks waiting for a runner, by runner job type (the task queue depth).',
    labelNames: ['type'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const { task } of store.pendingTasks())
        if (task.state === TaskState.PENDING) counts.set(task.type, (counts.get(task.type) ?? 0) + 1);
      for (const [type, n] of counts) this.set({ type }, n);
    },
  });
  new Gauge({
    name: 'ct_api_runners',
    help: 'Registered runners by status (online: called recently or has a socket here).',
    labelNames: ['status'] as const,
    registers: [registry],
    collect() {
      let online = 0;
      const runners = store.runners.cache.list();
      for (const r of runners) if (isOnline(r)) online += 1;
      this.set({ status: 'online' }, online);
      this.set({ status: 'offline' }, runners.length - online);
    },
  });
}
