// Runner-driven task transitions as CR status writes (docs/peertube-runner-protocol.md §5). Each
// transition is the pure function from lib/peertube/task-state.ts applied to a copy of the job and
// written as a guarded patch (docs/status-writes.md): it tests every value it changes plus the
// task's state and owner (lib/jobs/status-guards.ts), so concurrent writers (other replicas, the
// operator) can never be overwritten, while other tasks' writes never conflict with it.
// Accept is special: a conflict is re-checked against the fresh object and retried only while the
// task is still pending, so a task is handed out once (its `test` of state == PENDING decides).
import type { KubeConfig } from '@kubernetes/client-node';
import { crs, type CrClient } from '../../lib/kube/crs.js';
import { updateStatus, writeStatusOnce } from '../../lib/kube/status.js';
import { taskGuards } from '../../lib/jobs/status-guards.js';
import type { TransitionResult } from '../../lib/peertube/task-state.js';
import { acceptTask, updateTaskProgress } from '../../lib/peertube/task-state.js';
import { TaskState, type TranscodeJob, type TranscodeJobStatus } from '../../lib/schema/transcode-job.js';
import type { Logger } from '../../lib/log.js';
import { errorInfo } from '../../lib/log.js';
import type { Store } from '../store.js';

export type Transition = (status: TranscodeJobStatus, now: string) => TransitionResult;

export type AcceptOutcome = { ok: true; job: TranscodeJob } | { ok: false; reason: 'not_pending' | 'gone' };

const ACCEPT_ATTEMPTS = 4;

export class TaskWriter {
  private readonly jobs: CrClient<TranscodeJob>;
  private readonly progress = new Map<string, { lastWrite: number; timer?: NodeJS.Timeout; value?: number }>();

  constructor(
    private readonly kc: KubeConfig,
    private readonly store: Store,
    private readonly log: Logger,
    private readonly progressIntervalMs: number,
  ) {
    this.jobs = crs(kc).jobs;
  }

  private async read(job: TranscodeJob): Promise<TranscodeJob | undefined> {
    const fresh = await this.jobs.find(job.metadata.namespace!, job.metadata.name!);
    if (fresh) this.store.observeJob(fresh);
    return fresh;
  }

  async accept(cached: TranscodeJob, uuid: string, runner: { id: string; name: string }, jobTokenHash: string): Promise<AcceptOutcome> {
    let current: TranscodeJob | undefined = cached;
    for (let attempt = 1; attempt <= ACCEPT_ATTEMPTS && current; attempt++) {
      const next = structuredClone(current);
      next.status ??= {};
      const r = acceptTask(next.status, uuid, runner, jobTokenHash, new Date().toISOString());
      if (!r.ok) return { ok: false, reason: r.error === 'unknown_task' ? 'gone' : 'not_pending' };
      const written = await writeStatusOnce(this.kc, 'TranscodeJob', next, current, {
        writer: 'accept',
        guard: (before) => taskGuards(before, uuid),
      });
      if (written === 'gone') return { ok: false, reason: 'gone' };
      if (written !== 'conflict') {
        this.store.observeJob(written);
        return { ok: true, job: written };
      }
      current = await this.read(current);
    }
    return { ok: false, reason: current ? 'not_pending' : 'gone' };
  }

  /**
   * Applies `transition` with conflict retries (re-reading the job). Returns the transition's result
   * (from the last attempt) and the written job; undefined when the job is gone.
   */
  async apply(
    cached: TranscodeJob,
    transition: Transition,
    writer = 'transition',
  ): Promise<{ result: TransitionResult; job: TranscodeJob } | undefined> {
    let result: TransitionResult | undefined;
    const written = await updateStatus<TranscodeJob>(
      this.kc,
      'TranscodeJob',
      cached.metadata.namespace!,
      cached.metadata.name!,
      (obj) => {
        obj.status ??= {};
        result = transition(obj.status, new Date().toISOString());
        return result.ok;
      },
      { current: cached, writer, guard: (before) => taskGuards(before, result?.ok ? result.task.uuid : undefined) },
    );
    if (!written || !result) return undefined;
    this.store.observeJob(written);
    return { result, job: written };
  }

  /**
   * Progress / heartbeat. At most one write per task per interval: the first update of a window is
   * written at once, later ones are folded into one write at the end of the window, so updatedAt
   * is never more than one interval stale (far below the stall watchdog's threshold).
   */
  recordProgress(job: TranscodeJob, uuid: string, value: number | undefined): void {
    let entry = this.progress.get(uuid);
    if (!entry) this.progress.set(uuid, (entry = { lastWrite: 0 }));
    if (value !== undefined) entry.value = value;
    if (entry.timer) return; // a write is already scheduled; it carries the newest value
    const wait = entry.lastWrite + this.progressIntervalMs - Date.now();
    if (wait <= 0) {
      void this.flushProgress(job, uuid);
    } else {
      entry.timer = setTimeout(() => void this.flushProgress(undefined, uuid), wait);
      entry.timer.unref();
    }
  }

  private async flushProgress(job: TranscodeJob | undefined, uuid: string): Promise<void> {
    const entry = this.progress.get(uuid);
    if (!entry) return;
    delete entry.timer;
    entry.lastWrite = Date.now();
    const value = entry.value;
    delete entry.value;
    const current = job ?? this.store.task(uuid)?.job;
    if (!current) return;
    try {
      const out = await this.apply(current, (status, now) => updateTaskProgress(status, uuid, value, now), 'progress');
      if (!out || !out.result.ok || out.result.task.state !== TaskState.PROCESSING) this.progress.delete(uuid);
    } catch (err) {
      this.log.warn({ task: uuid, err: errorInfo(err) }, 'progress write failed');
    }
  }

  /** Drops coalescing state of a task that left PROCESSING. */
  forget(uuid: string): void {
    const entry = this.progress.get(uuid);
    if (entry?.timer) clearTimeout(entry.timer);
    this.progress.delete(uuid);
  }

  /** Writes every scheduled progress now (shutdown). */
  async flushAll(): Promise<void> {
    const pending = [...this.progress.entries()].filter(([, e]) => e.timer);
    await Promise.all(
      pending.map(([uuid, e]) => {
        clearTimeout(e.timer);
        return this.flushProgress(undefined, uuid);
      }),
    );
  }
}
