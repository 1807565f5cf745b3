// Wire views of tasks (docs/peertube-runner-protocol.md §6): the public payload with input URLs made
// absolute from our public base URL (the CR stores paths, so the URL follows the deployment), and
// the RunnerJob object returned by accept. Server-only fields (inputs, placement, hashes) never leave.
import type { TaskStatus, TranscodeJob } from '../../lib/schema/transcode-job.js';
import type { TranscodeRunner } from '../../lib/schema/transcode-runner.js';
import { isInputFilePath } from '../../lib/peertube/routes.js';
import { stateLabel } from '../../lib/peertube/task-state.js';
import type { RunnerJob } from '../../lib/peertube/wire.js';

/** Deep copy of `payload` with every stored input path turned into an absolute URL. */
export function absolutePayload(payload: unknown, publicUrl: string): unknown {
  if (typeof payload === 'string') return isInputFilePath(payload) ? publicUrl + payload : payload;
  if (Array.isArray(payload)) return payload.map((v) => absolutePayload(v, publicUrl));
  if (payload && typeof payload === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(payload)) out[k] = absolutePayload(v, publicUrl);
    return out;
  }
  return payload;
}

export function runnerJobView(job: TranscodeJob, task: TaskStatus, publicUrl: string, runner?: TranscodeRunner): RunnerJob {
  const parent = task.dependsOn ? job.status?.tasks?.find((t) => t.uuid === task.dependsOn) : undefined;
  return {
    uuid: task.uuid,
    type: task.type,
    state: stateLabel(task.state),
    payload: absolutePayload(task.payload, publicUrl),
    failures: task.failures,
    error: task.error ?? null,
    progress: task.progress ?? null,
    priority: task.priority,
    startedAt: task.startedAt ?? null,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    finishedAt: task.finishedAt ?? null,
    ...(parent ? { parent: { type: parent.type, state: stateLabel(parent.state), uuid: parent.uuid } } : {}),
    ...(runner
      ? { runner: { id: runner.status?.runnerId ?? 0, name: runner.spec.runnerName, description: runner.spec.description ?? null } }
      : {}),
  };
}
