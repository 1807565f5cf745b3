// The api-server's view of the cluster: list+watch caches (lib/kube/informer.ts) of
// TranscodeJobs, TranscodeRunners, TranscodeClients and registration-token Secrets, plus the
// indexes the hot paths need (task by uuid, pending tasks by priority, runner by token hash).
// Serving jobs/request never calls the Kubernetes API. Our own successful writes are fed back
// with observe() so this replica sees them before the watch event arrives.
import type { KubeConfig } from '@kubernetes/client-node';
import type { V1Secret } from '@kubernetes/client-node';
import { Informer } from '../lib/kube/informer.js';
import { keyOf } from '../lib/kube/object.js';
import { resourceOf, LABEL_REGISTRATION_TOKEN } from '../lib/kube/resources.js';
import { TaskState, type TaskStatus, type TranscodeJob } from '../lib/schema/transcode-job.js';
import type { TranscodeRunner } from '../lib/schema/transcode-runner.js';
import type { TranscodeClient } from '../lib/schema/transcode-client.js';
import type { Logger } from '../lib/log.js';

export interface TaskRef {
  job: TranscodeJob;
  task: TaskStatus;
}

/** Newer = larger resourceVersion. RVs are opaque, but etcd's are integers; anything else counts as newer. */
function isNewer(candidate: string | undefined, current: string | undefined): boolean {
  if (!current || !candidate) return true;
  if (/^\d+$/.test(candidate) && /^\d+$/.test(current)) return BigInt(candidate) > BigInt(current);
  return candidate !== current;
}

export class Store {
  readonly jobs: Informer<TranscodeJob>;
  readonly runners: Informer<TranscodeRunner>;
  readonly clients: Informer<TranscodeClient>;
  readonly tokens: Informer<V1Secret>;

  private readonly taskJob = new Map<string, string>(); // task uuid → job cache key
  private pendingSorted: TaskRef[] | undefined; // rebuilt lazily after a change
  private pendingGen = 0; // bumped with every such change: pre-serialized pages key on it
  private readonly pendingKeys = new Set<string>(); // job keys that have ≥1 pending task
  private readonly runnerByHash = new Map<string, string>(); // runner token hash → runner cache key
  private readonly pendingListeners: (() => void)[] = [];
  private readonly runnerDeleteListeners: ((r: TranscodeRunner) => void)[] = [];

  constructor(kc: KubeConfig, log: Logger, namespace: string) {
    const opts = namespace ? { namespace } : {};
    this.jobs = new Informer<TranscodeJob>(kc, resourceOf('TranscodeJob'), log, opts);
    this.runners = new Informer<TranscodeRunner>(kc, resourceOf('TranscodeRunner'), log, opts);
    this.clients = new Informer<TranscodeClient>(kc, resourceOf('TranscodeClient'), log, opts);
    this.tokens = new Informer<V1Secret>(kc, { group: '', version: 'v1', plural: 'secrets', kind: 'Secret' }, log, {
      ...opts,
      labelSelector: `${LABEL_REGISTRATION_TOKEN}=true`,
    });
    this.jobs.addHandler({
      onUpsert: (obj, old) => this.indexJob(obj, old),
      onDelete: (obj) => this.unindexJob(obj),
    });
    this.runners.addHandler({
      onUpsert: (obj, old) => {
        if (old?.status?.runnerTokenHash) this.runnerByHash.delete(old.status.runnerTokenHash);
        if (obj.status?.runnerTokenHash) this.runnerByHash.set(obj.status.runnerTokenHash, keyOf(obj));
      },
      onDelete: (obj) => {
        const hash = obj.status?.runnerTokenHash;
        if (hash && this.runnerByHash.get(hash) === keyOf(obj)) this.runnerByHash.delete(hash);
        for (const l of this.runnerDeleteListeners) l(obj);
      },
    });
  }

  start(): void {
    for (const i of [this.jobs, this.runners, this.clients, this.tokens]) i.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.jobs, this.runners, this.clients, this.tokens].map((i) => i.stop()));
  }

  /** Resolves once every cache has listed once. */
  get synced(): Promise<void> {
    return Promise.all([this.jobs.synced, this.runners.synced, this.clients.synced, this.tokens.synced]).then(() => undefined);
  }

  onTaskPending(listener: () => void): void {
    this.pendingListeners.push(listener);
  }

  onRunnerDeleted(listener: (r: TranscodeRunner) => void): void {
    this.runnerDeleteListeners.push(listener);
  }

  // ---- jobs ----

  private indexJob(job: TranscodeJob, old: TranscodeJob | undefined): void {
    const key = keyOf(job);
    const before = new Map<string, { state: number; type: string }>();
    for (const t of old?.status?.tasks ?? []) {
      before.set(t.uuid, { state: t.state, type: t.type });
      this.taskJob.delete(t.uuid);
    }
    let newlyPending = false;
    let hasPending = false;
    for (const t of job.status?.tasks ?? []) {
      this.taskJob.set(t.uuid, key);
      if (t.state === TaskState.PENDING) {
        hasPending = true;
        // A pending task whose type changed (auto encoding policy) is news to runners of the new type.
        const b = before.get(t.uuid);
        if (b?.state !== TaskState.PENDING || b.type !== t.type) newlyPending = true;
      }
    }
    if (hasPending || this.pendingKeys.has(key)) this.pendingChanged();
    if (hasPending) this.pendingKeys.add(key);
    else this.pendingKeys.delete(key);
    if (newlyPending) for (const l of this.pendingListeners) l();
  }

  private unindexJob(job: TranscodeJob): void {
    const key = keyOf(job);
    for (const t of job.status?.tasks ?? []) if (this.taskJob.get(t.uuid) === key) this.taskJob.delete(t.uuid);
    if (this.pendingKeys.delete(key)) this.pendingChanged();
  }

  private pendingChanged(): void {
    this.pendingSorted = undefined;
    this.pendingGen += 1;
  }

  /** Changes whenever pendingTasks() may answer differently (a pending task or its job changed). */
  get pendingGeneration(): number {
    return this.pendingGen;
  }

  /** Feeds back an object we just wrote (the watch event follows; older versions are ignored). */
  observeJob(job: TranscodeJob): void {
    const current = this.jobs.cache.get(keyOf(job));
    if (current && !isNewer(job.metadata.resourceVersion, current.metadata.resourceVersion)) return;
    const old = this.jobs.cache.upsert(job);
    this.indexJob(job, old);
  }

  task(uuid: string): TaskRef | undefined {
    const key = this.taskJob.get(uuid);
    const job = key ? this.jobs.cache.get(key) : undefined;
    const task = job?.status?.tasks?.find((t) => t.uuid === uuid);
    return job && task ? { job, task } : undefined;
  }

  /** Pending tasks, lowest priority number first (then oldest), served from memory. */
  pendingTasks(): TaskRef[] {
    if (!this.pendingSorted) {
      const out: TaskRef[] = [];
      for (const key of this.pendingKeys) {
        const job = this.jobs.cache.get(key);
        if (!job || job.metadata.deletionTimestamp) continue;
        for (const task of job.status?.tasks ?? []) if (task.state === TaskState.PENDING) out.push({ job, task });
      }
      out.sort((a, b) => a.task.priority - b.task.priority || a.task.createdAt.localeCompare(b.task.createdAt));
      this.pendingSorted = out;
    }
    return this.pendingSorted;
  }

  allTasks(): TaskRef[] {
    const out: TaskRef[] = [];
    for (const job of this.jobs.cache.list()) for (const task of job.status?.tasks ?? []) out.push({ job, task });
    return out;
  }

  // ---- runners ----

  runnerByTokenHash(hash: string): TranscodeRunner | undefined {
    const key = this.runnerByHash.get(hash);
    return key ? this.runners.cache.get(key) : undefined;
  }

  observeRunner(runner: TranscodeRunner): void {
    const current = this.runners.cache.get(keyOf(runner));
    if (current && !isNewer(runner.metadata.resourceVersion, current.metadata.resourceVersion)) return;
    this.runners.cache.upsert(runner);
    if (current?.status?.runnerTokenHash) this.runnerByHash.delete(current.status.runnerTokenHash);
    if (runner.status?.runnerTokenHash) this.runnerByHash.set(runner.status.runnerTokenHash, keyOf(runner));
  }

  forgetRunner(runner: TranscodeRunner): void {
    const old = this.runners.cache.remove(runner);
    const hash = old?.status?.runnerTokenHash;
    if (hash) this.runnerByHash.delete(hash);
  }
}
