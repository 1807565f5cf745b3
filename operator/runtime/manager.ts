// The controller manager: one informer per kind (shared by all controllers and readers), the
// controllers and other leader-only tasks (runnables), leader election, health/metrics, shutdown.
//
// Informers run on every replica (a standby has a warm cache); controllers and runnables run only on
// the leader, except runnables marked `everyReplica` (the SQS listener: its work is idempotent, so
// ingest scales with replicas), which start once the caches are synced and stop only at shutdown. A leader that loses its lease (e.g. the kube-apiserver was unreachable for longer than the
// renew deadline) stops every controller and runnable FIRST, then campaigns again in the same process:
// an unreachable apiserver is no reason to exit. Only a stop that does not finish in time exits.
import type { Server } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { resourceOf, type KindName, type ResourceType } from '../../lib/kube/resources.js';
import type { Logger } from '../../lib/log.js';
import { errorInfo } from '../../lib/log.js';
import type { CacheReader } from '../../lib/kube/cache.js';
import { shareAgent } from '../../lib/kube/http.js';
import { Informer } from '../../lib/kube/informer.js';
import type { KubeObject } from '../../lib/kube/object.js';
import { StatusWriter } from '../../lib/kube/status.js';
import { ControllerRunner, type Controller } from './controller.js';
import { KubeEventRecorder, type EventRecorder } from './events.js';
import { startHttpServer } from './http.js';
import { LeaderElector, type LeaderElectionOptions } from './leader.js';
import { informerObjects, informerRelists, isLeader } from './metrics.js';

/** A background task that is not a controller (e.g. the SWF registration, the SQS listener). */
export interface Runnable {
  name: string;
  /**
   * Run on every replica, leader or not (default: only on the leader). Only for work that is safe to
   * do twice at once: several replicas do it in parallel.
   */
  everyReplica?: boolean;
  /** Runs until `signal` aborts; should resolve soon after. A rejection is logged and the process exits. */
  run(signal: AbortSignal): Promise<void>;
}

/** What controllers and runnables get from the runtime. */
export interface RuntimeContext {
  kc: KubeConfig;
  log: Logger;
  /** The read-only cache of a kind (its informer starts on first use). */
  cache<T extends KubeObject = KubeObject>(kind: KindName): CacheReader<T>;
  /** Resolves once the kind's cache holds a full list. */
  synced(kind: KindName): Promise<void>;
  status: StatusWriter;
  events: EventRecorder;
  resource(kind: KindName): ResourceType;
  /** True while this replica holds the lease. */
  isLeader(): boolean;
}

export interface ManagerOptions {
  kc: KubeConfig;
  log: Logger;
  component: string;
  identity: string;
  namespace: string;
  resyncMs: number;
  http?: { port: number; host: string };
  /** undefined = no leader election (single replica, tests). */
  leaderElection?: Omit<LeaderElectionOptions, 'identity'>;
  /** Called once everything stopped after a lost lease (default: nothing; the elector campaigns again). */
  onLostLeadership?: () => void;
  /** How long controllers get to stop after a lost lease before the process exits (default 30 s: an SQS long poll in flight takes up to 20 s). */
  stopTimeoutMs?: number;
}

export class Manager {
  readonly context: RuntimeContext;
  private readonly informers = new Map<KindName, Informer<KubeObject>>();
  private readonly controllers: Controller[] = [];
  private readonly runnables: Runnable[] = [];
  private runners: ControllerRunner[] = [];
  private runAbort: AbortController | undefined;
  private running: Promise<void>[] = [];
  /** everyReplica runnables: run from start() to stop(), whoever leads. */
  private readonly replicaAbort = new AbortController();
  private replicaRunning: Promise<void>[] = [];
  private started = false;
  private leading = false;
  /** Bumped on every start/stop of leading, so a start that raced with a stop does not run twice. */
  private term = 0;
  private elector: LeaderElector | undefined;
  private server: Server | undefined;
  private metricsTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: ManagerOptions) {
    shareAgent(opts.kc);
    this.context = {
      kc: opts.kc,
      log: opts.log,
      cache: <T extends KubeObject>(kind: KindName) => this.informer(kind).cache as unknown as CacheReader<T>,
      synced: (kind) => this.informer(kind).synced,
      status: new StatusWriter(opts.kc),
      events: new KubeEventRecorder(opts.kc, opts.component, opts.identity, opts.log),
      resource: resourceOf,
      isLeader: () => this.leading,
    };
  }

  add(...controllers: Controller[]): this {
    for (const c of controllers) {
      if (this.controllers.some((x) => x.name === c.name)) throw new Error(`duplicate controller name ${c.name}`);
      this.controllers.push(c);
      this.informer(c.kind);
      for (const w of c.watches ?? []) this.informer(w.kind);
    }
    return this;
  }

  addRunnable(...runnables: Runnable[]): this {
    this.runnables.push(...runnables);
    return this;
  }

  informer(kind: KindName): Informer<KubeObject> {
    let inf = this.informers.get(kind);
    if (!inf) {
      inf = new Informer<KubeObject>(this.opts.kc, resourceOf(kind), this.opts.log.child({ informer: kind }), {
        namespace: this.opts.namespace,
        resyncMs: this.opts.resyncMs,
      });
      this.informers.set(kind, inf);
      if (this.started) inf.start();
    }
    return inf;
  }

  async start(): Promise<void> {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
    this.metricsTimer = setInterval(() => {
      for (const [kind, inf] of this.informers) {
        informerObjects.set({ resource: kind }, inf.cache.size());
        informerRelists.set({ resource: kind }, inf.stats.lists);
      }
    }, 5000);
    this.metricsTimer.unref();
    if (this.opts.http) {
      this.server = await startHttpServer(
        this.opts.http.port,
        this.opts.http.host,
        {
          notReady: () => [...this.informers].filter(([, inf]) => inf.stats.lists === 0).map(([kind]) => `${kind} cache`),
          describe: () => ({ identity: this.opts.identity, leader: this.leading }),
        },
        this.opts.log,
      );
    }
    void this.startReplicaRunnables();
    if (!this.opts.leaderElection) {
      void this.startLeading();
      return;
    }
    this.elector = new LeaderElector(
      this.opts.kc,
      { ...this.opts.leaderElection, identity: this.opts.identity },
      {
        onStartedLeading: () => void this.startLeading(),
        onStoppedLeading: () => this.onLostLease(),
      },
      this.opts.log,
    );
    this.elector.start();
  }

  /** Everything leader-only stops before the elector may campaign again (it awaits this). */
  private async onLostLease(): Promise<void> {
    const timeoutMs = this.opts.stopTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const result = await Promise.race([this.stopLeading().then(() => 'stopped' as const), timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      // Something still acts as leader and will not stop: only exiting guarantees it stops.
      this.opts.log.fatal({ timeoutMs }, 'controllers did not stop after the lease was lost; exiting');
      process.exit(1);
    }
    this.opts.log.warn('stopped leading: every controller and runnable stopped; campaigning for the lease again');
    this.opts.onLostLeadership?.();
  }

  private async startLeading(): Promise<void> {
    this.leading = true;
    const term = ++this.term;
    isLeader.set(1);
    // Controllers act on a full picture: wait for every cache they read.
    await Promise.all([...this.informers.values()].map((i) => i.synced));
    if (!this.leading || term !== this.term) return;
    this.runAbort = new AbortController();
    for (const c of this.controllers) {
      const r = new ControllerRunner(c, (k) => this.informer(k), this.opts.log);
      r.start();
      this.runners.push(r);
    }
    const signal = this.runAbort.signal;
    for (const r of this.runnables) if (!r.everyReplica) this.running.push(this.launch(r, signal, 'leader'));
  }

  private async startReplicaRunnables(): Promise<void> {
    const mine = this.runnables.filter((r) => r.everyReplica);
    if (!mine.length) return;
    await Promise.all([...this.informers.values()].map((i) => i.synced));
    if (this.replicaAbort.signal.aborted) return;
    for (const r of mine) this.replicaRunning.push(this.launch(r, this.replicaAbort.signal, 'every replica'));
  }

  private launch(r: Runnable, signal: AbortSignal, runsOn: string): Promise<void> {
    this.opts.log.info({ runnable: r.name, runsOn }, 'runnable started');
    return r.run(signal).then(
      () => this.opts.log.info({ runnable: r.name }, 'runnable stopped'),
      (err: unknown) => {
        this.opts.log.fatal({ runnable: r.name, err: errorInfo(err) }, 'runnable failed; exiting');
        process.exit(1);
      },
    );
  }

  private async stopLeading(): Promise<void> {
    this.leading = false;
    this.term += 1;
    isLeader.set(0);
    this.runAbort?.abort();
    const runners = this.runners;
    this.runners = [];
    await Promise.all([...runners.map((r) => r.stop()), ...this.running]);
    this.running = [];
  }

  /** Graceful shutdown: finish in-flight work, release the lease, close watches and the HTTP server. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.replicaAbort.abort();
      await Promise.all([this.stopLeading(), ...this.replicaRunning]);
      await this.elector?.stop(true);
      await Promise.all([...this.informers.values()].map((i) => i.stop()));
      if (this.metricsTimer) clearInterval(this.metricsTimer);
      await new Promise<void>((r) => {
        if (!this.server) return r();
        this.server.close(() => r());
        this.server.closeAllConnections();
      });
    })();
    return this.stopping;
  }
}
