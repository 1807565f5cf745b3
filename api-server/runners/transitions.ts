// Runner-driven task transitions as CR status writes (docs/peertube-runner-protocol.md §5). Each
// transition is the pure function from lib/peertube/task-state.ts applied to a copy of the job and
// written as a guarded patch (docs/status-writes.md): it tests every value it changes plus the
// task's state and owner (lib/jobs/status-guards.ts), so concurrent writers (other replicas, the
// operator) can never be overwritten, while other tasks' writes never conflict with it.
// This replica's writes of one job go one at a time (a lane per job), and progress is coalesced
// into one write per job per interval. Accept is special: a conflict is re-checked against the
// fresh object and retried only while the task is still pending, so a task is handed out once (its
// `test` of state == PENDING decides).
import type { KubeConfig } from '@kubernetes/client-node';
import { crs, type CrClient } from '../../lib/kube/crs.js';
import { keyOf } from '../../lib/kube/object.js';
import { updateStatus, writeStatusOnce } from '../../lib/kube/status.js';
import { taskGuards } from '../../lib/jobs/status-guards.js';
import type { TransitionResult } from '../../lib/peertube/task-state.js';
import { acceptTask, updateTaskProgress } from '../../lib/peertube/task-state.js';
import type { TranscodeJob, TranscodeJobStatus } from '../../lib/schema/transcode-job.js';
import type { Logger } from '../../lib/log.js';
import { errorInfo } from '../../lib/log.js';
import type { Store } from '../store.js';

export type Transition = (status: TranscodeJobStatus, now: string) => TransitionResult;

export type AcceptOutcome = { ok: true; job: TranscodeJob } | { ok: false; reason: 'not_pending' | 'gone' };

const ACCEPT_ATTEMPTS = 4;

interface ProgressBatch {
  lastWrite: number;
  timer?: NodeJS.Timeout;
  /** Task uuid → its newest progress (undefined: heartbeat only), since the last write. */
  pending: Map<string, number | undefined>;
  /** The job's tasks that report progress. */
  tasks: Set<string>;
  /** Tasks whose first progress above 0 was already written. */
  shown: Set<string>;
  job: TranscodeJob;
}

/** The later version of one job (by resourceVersion; a recreated job's copy never wins). */
function newer(a: TranscodeJob | undefined, b: TranscodeJob): TranscodeJob {
  if (!a || a.metadata.uid !== b.metadata.uid) return b;
  const ra = Number(a.metadata.resourceVersion);
  const rb = Number(b.metadata.resourceVersion);
  return Number.isFinite(ra) && Number.isFinite(rb) && ra > rb ? a : b;
}

export class TaskWriter {
  private readonly jobs: CrClient<TranscodeJob>;
  /** Progress coalescing by job key: the tasks that reported since the last write, and their newest values. */
  private readonly progress = new Map<string, ProgressBatch>();
  private readonly jobOfTask = new Map<string, string>();
  /** Per job: the tail of this process's queued writes, and the newest version they wrote. */
  private readonly lanes = new Map<string, { tail: Promise<void>; latest?: TranscodeJob }>();

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

  /**
   * Runs `write` after this process's earlier writes of the same job: they never race each other
   * (no conflict among our own writers, and no retry loop inside the apiserver for k concurrent
   * patches of one object), and each starts from the newest version the previous one wrote.
   */
  private serial<T>(job: TranscodeJob, write: (newest: TranscodeJob) => Promise<T>): Promise<T> {
    const key = keyOf(job);
    const lane = this.lanes.get(key) ?? { tail: Promise.resolve() };
    const start = (): Promise<T> => write(newer(lane.latest, job));
    const run = lane.tail.then(start, start);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    lane.tail = tail;
    this.lanes.set(key, lane);
    void tail.then(() => {
      if (this.lanes.get(key)?.tail === tail) this.lanes.delete(key);
    });
    return run;
  }

  private observe(written: TranscodeJob): void {
    this.store.observeJob(written);
    const lane = this.lanes.get(keyOf(written));
    if (lane) lane.latest = newer(lane.latest, written);
  }

  accept(cached: TranscodeJob, uuid: string, runner: { id: string; name: string }, jobTokenHash: string): Promise<AcceptOutcome> {
    return this.serial(cached, (newest) => this.acceptNow(newest, uuid, runner, jobTokenHash));
  }

  private async acceptNow(
    newest: TranscodeJob,
    uuid: string,
    runner: { id: string; name: string },
    jobTokenHash: string,
  ): Promise<AcceptOutcome> {
    let current: TranscodeJob | undefined = newest;
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
        this.observe(written);
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
  apply(
    cached: TranscodeJob,
    transition: Transition,
    writer = 'transition',
  ): Promise<{ result: TransitionResult; job: TranscodeJob } | undefined> {
    return this.serial(cached, (newest) => this.applyNow(newest, transition, writer));
  }

  private async applyNow(
    cached: TranscodeJob,
    transition: Transition,
    writer: string,
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
    this.observe(written);
    return { result, job: written };
  }

  /**
   * Progress / heartbeat. At most one progress write per job per interval, carrying every task of
   * the job that reported meanwhile (one guarded patch touches only those tasks' progress and
   * updatedAt): the first update of a window is written at once, later ones are folded into one
   * write at the end of the window, so updatedAt is never more than one interval stale (far below
   * the stall watchdog's threshold) and 20 runners of one job make one write per interval, not 20.
   */
  recordProgress(job: TranscodeJob, uuid: string, value: number | undefined): void {
    const key = keyOf(job);
    let batch = this.progress.get(key);
    if (!batch) this.progress.set(key, (batch = { lastWrite: 0, pending: new Map(), tasks: new Set(), shown: new Set(), job }));
    batch.job = job;
    this.jobOfTask.set(uuid, key);
    batch.tasks.add(uuid);
    batch.pending.set(uuid, value ?? batch.pending.get(uuid)); // a heartbeat keeps a value reported earlier in the window
    // A task's first progress is written at once (short tasks would otherwise end inside the window
    // and the client would never see ACTIVITY_PROGRESS); later ones wait for the window.
    const first = value !== undefined && value > 0 && !batch.shown.has(uuid);
    if (first) batch.shown.add(uuid);
    if (batch.timer && !first) return; // a write is already scheduled; it carries the newest values
    const wait = first ? 0 : batch.lastWrite + this.progressIntervalMs - Date.now();
    if (wait <= 0) {
      if (batch.timer) clearTimeout(batch.timer);
      void this.flushProgress(key);
    } else {
      batch.timer = setTimeout(() => void this.flushProgress(key), wait);
      batch.timer.unref();
    }
  }

  private async flushProgress(key: string): Promise<void> {
    const batch = this.progress.get(key);
    if (!batch) return;
    delete batch.timer;
    if (!batch.pending.size) return;
    batch.lastWrite = Date.now();
    const updates = batch.pending;
    batch.pending = new Map();
    const uuids = [...updates.keys()];
    await this.serial(this.store.task(uuids[0]!)?.job ?? batch.job, (newest) => this.writeProgress(key, batch, newest, uuids, updates));
  }

  private async writeProgress(
    key: string,
    batch: ProgressBatch,
    current: TranscodeJob,
    uuids: string[],
    updates: Map<string, number | undefined>,
  ): Promise<void> {
    let stopped: string[] = [];
    try {
      const written = await updateStatus<TranscodeJob>(
        this.kc,
        'TranscodeJob',
        current.metadata.namespace!,
        current.metadata.name!,
        (obj) => {
          obj.status ??= {};
          const now = new Date().toISOString();
          stopped = uuids.filter((u) => !updateTaskProgress(obj.status!, u, updates.get(u), now).ok);
          return stopped.length < uuids.length;
        },
        {
          current,
          writer: 'progress',
          guard: (before) => uuids.filter((u) => !stopped.includes(u)).flatMap((u) => taskGuards(before, u)),
        },
      );
      if (written) {
        this.observe(written);
        batch.job = written;
      }
      // Tasks no longer processing (or a job that is gone) need no more progress writes.
      for (const u of written ? stopped : uuids) this.forget(u);
    } catch (err) {
      this.log.warn({ job: key, tasks: uuids, err: errorInfo(err) }, 'progress write failed');
    }
  }

  /** Drops coalescing state of a task that left PROCESSING (and of its job when no other task reports). */
  forget(uuid: string): void {
    const key = this.jobOfTask.get(uuid);
    if (key === undefined) return;
    this.jobOfTask.delete(uuid);
    const batch = this.progress.get(key);
    if (!batch) return;
    batch.pending.delete(uuid);
    batch.tasks.delete(uuid);
    batch.shown.delete(uuid);
    if (batch.tasks.size) return;
    if (batch.timer) clearTimeout(batch.timer);
    this.progress.delete(key);
  }

  /** Writes every scheduled progress now (shutdown). */
  async flushAll(): Promise<void> {
    const scheduled = [...this.progress.entries()].filter(([, b]) => b.timer);
    await Promise.all(
      scheduled.map(([key, b]) => {
        clearTimeout(b.timer);
        return this.flushProgress(key);
      }),
    );
  }
}
