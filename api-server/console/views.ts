// What the console shows, derived from the cached CRs (pure: no I/O). One shape per kind, sent as
// the SSE snapshot and as the live updates, so the page renders the same data either way.
import type { V1Secret } from '@kubernetes/client-node';
import { taskStateName } from '../../lib/ct/report.js';
import { keyOf } from '../../lib/kube/object.js';
import { TaskState, type TaskStatus, type TranscodeJob } from '../../lib/schema/transcode-job.js';
import type { TranscodeClient } from '../../lib/schema/transcode-client.js';
import type { TranscodeRunner } from '../../lib/schema/transcode-runner.js';

export interface TaskView {
  uuid: string;
  name: string;
  type: string;
  outputIndex: number;
  state: string;
  progress: number;
  runner: string | null;
  failures: number;
  error: string | null;
}

export interface OutputView {
  index: number;
  type: string;
  file: string;
  status: string;
  progress: number;
  reason: string | null;
}

export interface JobView {
  key: string;
  namespace: string;
  name: string;
  jobId: string;
  client: string;
  phase: string;
  progress: number;
  createdAt: string | null;
  completedAt: string | null;
  message: string | null;
  /** How many client messages status.published records (the job page refreshes its list when it grows). */
  messagesSent: number;
  outputs: OutputView[];
  tasks: TaskView[];
}

export interface RunnerView {
  key: string;
  namespace: string;
  name: string;
  id: number | null;
  version: string | null;
  jobTypes: string[];
  lastContact: string | null;
  online: boolean;
  currentTasks: { uuid: string; name: string; job: string; progress: number }[];
}

export interface ClientView {
  key: string;
  namespace: string;
  name: string;
  ready: string;
  readyMessage: string | null;
  queues: { input: string | null; output: string | null };
  buckets: { input: string | null; output: string | null };
  jobs: { active: number; succeeded: number; failed: number; canceled: number };
}

export interface TokenView {
  key: string;
  namespace: string;
  id: string;
  createdAt: string | null;
  runners: number;
}

const ts = (v: unknown) => (v === undefined || v === null ? null : v instanceof Date ? v.toISOString() : String(v));

function taskProgress(t: TaskStatus): number {
  if (t.state === TaskState.COMPLETED || t.state === TaskState.COMPLETING) return 100;
  return t.progress ?? 0;
}

export function jobView(job: TranscodeJob): JobView {
  const st = job.status;
  const tasks = st?.tasks ?? [];
  const outputs = job.spec.job.outputs.map((spec, index): OutputView => {
    const o = st?.outputs?.find((x) => x.index === index);
    const mine = tasks.filter((t) => t.outputIndex === index);
    const status = o?.status ?? 'Pending';
    const progress =
      status === 'Succeeded' ? 100 : mine.length ? Math.floor(mine.reduce((sum, t) => sum + taskProgress(t), 0) / mine.length) : 0;
    return { index, type: spec.output_type, file: spec.output_file, status, progress, reason: o?.reason ?? null };
  });
  return {
    key: keyOf(job),
    namespace: job.metadata.namespace ?? '',
    name: job.metadata.name ?? '',
    jobId: job.spec.jobId,
    client: job.spec.clientRef.name,
    phase: st?.phase ?? 'Pending',
    progress: st?.phase === 'Succeeded' ? 100 : (st?.progress ?? 0),
    createdAt: ts(job.metadata.creationTimestamp),
    completedAt: st?.completedAt ?? null,
    message: st?.message ?? null,
    messagesSent: st?.published?.length ?? 0,
    outputs,
    tasks: tasks.map((t) => ({
      uuid: t.uuid,
      name: t.name,
      type: t.type,
      outputIndex: t.outputIndex,
      state: taskStateName(t.state),
      progress: taskProgress(t),
      runner: t.runner?.name ?? null,
      failures: t.failures,
      error: t.error ?? null,
    })),
  };
}

/** Online: a socket of it is connected here, or it called us within `offlineAfterMs`. */
export function isRunnerOnline(runner: TranscodeRunner, connected: boolean, offlineAfterMs: number, now: number): boolean {
  const last = runner.status?.lastContact;
  return connected || (last !== undefined && now - Date.parse(last) < offlineAfterMs);
}

export function runnerView(
  runner: TranscodeRunner,
  jobs: TranscodeJob[],
  connected: boolean,
  offlineAfterMs: number,
  now: number,
): RunnerView {
  const last = runner.status?.lastContact ?? null;
  const currentTasks: RunnerView['currentTasks'] = [];
  for (const job of jobs)
    for (const t of job.status?.tasks ?? [])
      if (t.runner?.id === runner.metadata.name && (t.state === TaskState.PROCESSING || t.state === TaskState.COMPLETING))
        currentTasks.push({ uuid: t.uuid, name: t.name, job: keyOf(job), progress: taskProgress(t) });
  return {
    key: keyOf(runner),
    namespace: runner.metadata.namespace ?? '',
    name: runner.spec.runnerName,
    id: runner.status?.runnerId ?? null,
    version: runner.status?.version ?? null,
    jobTypes: runner.spec.jobTypes ?? [],
    lastContact: last,
    online: isRunnerOnline(runner, connected, offlineAfterMs, now),
    currentTasks,
  };
}

export function clientView(c: TranscodeClient): ClientView {
  const ready = c.status?.conditions?.find((x) => x.type === 'Ready');
  const j = c.status?.jobs;
  return {
    key: keyOf(c),
    namespace: c.metadata.namespace ?? '',
    name: c.metadata.name ?? '',
    ready: ready?.status ?? 'Unknown',
    readyMessage: ready ? `${ready.reason}: ${ready.message}` : null,
    queues: { input: c.status?.queues?.inputUrl ?? null, output: c.status?.queues?.outputUrl ?? null },
    buckets: { input: c.status?.buckets?.input ?? null, output: c.status?.buckets?.output ?? null },
    jobs: { active: j?.active ?? 0, succeeded: j?.succeeded ?? 0, failed: j?.failed ?? 0, canceled: j?.canceled ?? 0 },
  };
}

export function tokenView(s: V1Secret, runners: TranscodeRunner[]): TokenView {
  return {
    key: keyOf(s),
    namespace: s.metadata?.namespace ?? '',
    id: s.metadata?.name ?? '',
    createdAt: ts(s.metadata?.creationTimestamp),
    runners: runners.filter((r) => r.spec.registrationToken === s.metadata?.name && r.metadata.namespace === s.metadata?.namespace).length,
  };
}
