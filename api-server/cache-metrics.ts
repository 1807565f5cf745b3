// Metrics computed from this replica's caches at scrape time (every replica sees the whole
// namespace, so dashboards take max() across replicas), plus the dispatch latency observed by the
// replica that served the accept. Used by the Grafana dashboard in the chart.
import { JOB_PHASES, TaskState, type TaskStatus, type TranscodeJob } from '../lib/schema/transcode-job.js';
import type { TranscodeRunner } from '../lib/schema/transcode-runner.js';
import { metric } from './metrics.js';
import type { Store } from './store.js';

export const dispatchLatency = metric.histogram(
  'ct_api_task_dispatch_seconds',
  'Time a task waited as pending before a runner accepted it, by runner job type.',
  [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
  ['type'],
);

/** Since when a task has been pending: its creation, or its parent's end for a child task. */
function pendingSince(job: TranscodeJob, task: TaskStatus): number {
  const parent = task.dependsOn ? job.status?.tasks?.find((t) => t.uuid === task.dependsOn) : undefined;
  return Date.parse(parent?.finishedAt ?? task.createdAt);
}

export function observeDispatch(job: TranscodeJob, task: TaskStatus, now = Date.now()): void {
  const since = pendingSince(job, task);
  if (Number.isFinite(since)) dispatchLatency.observe({ type: task.type }, Math.max(0, now - since) / 1000);
}

/** Counts of `keys` (all shown, 0 when absent) or of whatever occurs, computed at scrape time. */
function countGauge<L extends string>(name: string, help: string, label: L, count: () => Map<string, number>): void {
  metric.gauge(name, help, [label], (g) => {
    g.reset();
    for (const [value, n] of count()) g.set({ [label]: value } as Partial<Record<L, string>>, n);
  });
}

export function registerCacheMetrics(store: Store, isOnline: (r: TranscodeRunner) => boolean): void {
  countGauge('ct_api_jobs', 'TranscodeJobs in the cache by phase.', 'phase', () => {
    const counts = new Map<string, number>(JOB_PHASES.map((p) => [p, 0]));
    for (const j of store.jobs.cache.list()) {
      const p = j.status?.phase ?? 'Pending';
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    return counts;
  });
  countGauge('ct_api_pending_tasks', 'Tasks waiting for a runner, by runner job type (the task queue depth).', 'type', () => {
    const counts = new Map<string, number>();
    for (const { task } of store.pendingTasks())
      if (task.state === TaskState.PENDING) counts.set(task.type, (counts.get(task.type) ?? 0) + 1);
    return counts;
  });
  countGauge('ct_api_runners', 'Registered runners by status (online: called recently or has a socket here).', 'status', () => {
    const runners = store.runners.cache.list();
    const online = runners.filter(isOnline).length;
    return new Map([
      ['online', online],
      ['offline', runners.length - online],
    ]);
  });
}
