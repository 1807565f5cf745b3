// The Controller abstraction and the loop that drives one controller: informer events → work queue →
// `concurrency` workers calling reconcile(key, obj). Errors are retried with per-key exponential back-off;
// success forgets the back-off; `requeueAfterMs` schedules a periodic re-check.
import type { Logger } from '../../lib/log.js';
import { errorInfo } from '../../lib/log.js';
import type { KindName } from '../../lib/kube/resources.js';
import type { KubeObject, ObjectKey } from '../../lib/kube/object.js';
import { keyOf } from '../../lib/kube/object.js';
import type { Informer, InformerHandler } from '../../lib/kube/informer.js';
import { WorkQueue, type WorkQueueOptions } from './workqueue.js';
import { reconcileTotal, reconcileErrors, reconcileDuration, queueDepth, queueDelayed } from './metrics.js';

export interface ReconcileResult {
  /** Reconcile this key again after this long even if nothing changes (polling external state). */
  requeueAfterMs?: number;
}

/** Maps a changed object of another kind to the keys of this controller's kind it affects. */
export interface Watch {
  kind: KindName;
  map(obj: KubeObject): ObjectKey[];
}

export interface Controller<T extends KubeObject = KubeObject> {
  /** Unique, used in logs and metrics. */
  name: string;
  /** The kind whose objects this controller reconciles (keys are `namespace/name` of this kind). */
  kind: KindName;
  /** Other kinds whose changes should re-trigger keys of `kind`. */
  watches?: Watch[];
  /** Parallel reconciles (different keys only; one key never runs twice at once). Default 4. */
  concurrency?: number;
  queue?: WorkQueueOptions;
  /**
   * Makes the world match obj (undefined = the object is gone from the cache). Must be idempotent.
   * Throw to retry with back-off.
   */
  reconcile(key: ObjectKey, obj: T | undefined): Promise<ReconcileResult | void>;
}

type AnyInformer = Informer<KubeObject>;

export class ControllerRunner {
  readonly queue: WorkQueue<ObjectKey>;
  private workers: Promise<void>[] = [];
  private readonly detach: (() => void)[] = [];
  private metricsTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly controller: Controller,
    private readonly informerOf: (kind: KindName) => AnyInformer,
    private readonly log: Logger,
  ) {
    this.queue = new WorkQueue<ObjectKey>(controller.queue);
  }

  start(): void {
    const c = this.controller;
    const own = this.informerOf(c.kind);
    this.attach(own, {
      // Every change (status-only ones too, and periodic re-lists) requeues: reconcilers are level-based and
      // skip writes when nothing changed, so this cannot loop.
      onUpsert: (obj) => this.queue.add(keyOf(obj)),
      onDelete: (obj) => this.queue.add(keyOf(obj)),
    });
    for (const w of c.watches ?? []) {
      const enqueue = (obj: KubeObject) => {
        for (const k of w.map(obj)) this.queue.add(k);
      };
      this.attach(this.informerOf(w.kind), { onUpsert: enqueue, onDelete: enqueue });
    }
    const n = Math.max(1, c.concurrency ?? 4);
    for (let i = 0; i < n; i++) this.workers.push(this.work(own));
    this.metricsTimer = setInterval(() => {
      queueDepth.set({ controller: c.name }, this.queue.length);
      queueDelayed.set({ controller: c.name }, this.queue.delayed);
    }, 2000);
    this.metricsTimer.unref();
    this.log.info({ controller: c.name, kind: c.kind, workers: n }, 'controller started');
  }

  private attach(informer: AnyInformer, handler: InformerHandler<KubeObject>): void {
    informer.addHandler(handler);
    this.detach.push(() => informer.removeHandler(handler));
  }

  /** Stops taking new keys and waits for in-flight reconciles to finish. */
  async stop(): Promise<void> {
    for (const d of this.detach) d();
    this.queue.shutdown();
    if (this.metricsTimer) clearInterval(this.metricsTimer);
    await Promise.all(this.workers);
    this.log.info({ controller: this.controller.name }, 'controller stopped');
  }

  private async work(own: AnyInformer): Promise<void> {
    const c = this.controller;
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const end = reconcileDuration.startTimer({ controller: c.name });
      try {
        const result = await c.reconcile(key, own.cache.get(key));
        this.queue.forget(key);
        if (result?.requeueAfterMs !== undefined && result.requeueAfterMs >= 0) {
          this.queue.addAfter(key, Math.max(result.requeueAfterMs, 100));
          reconcileTotal.inc({ controller: c.name, result: 'requeue' });
        } else {
          reconcileTotal.inc({ controller: c.name, result: 'success' });
        }
      } catch (err) {
        const delay = this.queue.addRateLimited(key);
        reconcileTotal.inc({ controller: c.name, result: 'error' });
        reconcileErrors.inc({ controller: c.name });
        this.log.warn(
          { controller: c.name, key, err: errorInfo(err), retryInMs: delay, failures: this.queue.numRequeues(key) },
          'reconcile failed',
        );
      } finally {
        end();
        this.queue.done(key);
      }
    }
  }
}
