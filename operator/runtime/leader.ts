// Leader election on a coordination.k8s.io/v1 Lease (the client-go algorithm, simplified):
// - the holder renews every retryPeriod; a candidate takes the lease once it has seen the same record
//   unchanged for leaseDuration (measured on its own clock, so clock skew between nodes does not matter)
//   or when the holder released it (empty holderIdentity);
// - every write is guarded by resourceVersion, so two candidates cannot both win;
// - a leader that cannot renew within renewDeadline stops leading (onStoppedLeading) before anyone else
//   may take over (renewDeadline < leaseDuration);
// - release() on graceful shutdown lets a standby take over at once;
// - after losing the lease it campaigns again, but only once onStoppedLeading has settled.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { statusOf } from '../../lib/kube/client.js';
import type { Logger } from '../../lib/log.js';
import { errorInfo } from '../../lib/log.js';
import { sleep } from '../../lib/kube/informer.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  /** Campaigning resumes only once this settles: nothing may still act as leader when we win again. */
  onStoppedLeading(): void | Promise<void>;
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private leading = false;
  private observedJson = '';
  private observedAt = 0;
  private lastRenew = 0;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    kc: KubeConfig,
    private readonly opts: LeaderElectionOptions,
    private readonly callbacks: LeaderCallbacks,
    private readonly log: Logger,
  ) {
    if (opts.renewDeadlineMs >= opts.leaseDurationMs) throw new Error('leader election: renewDeadline must be shorter than leaseDuration');
    if (opts.retryPeriodMs >= opts.renewDeadlineMs) throw new Error('leader election: retryPeriod must be shorter than renewDeadline');
    this.api = kc.makeApiClient(CoordinationV1Api);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (err) {
        this.log.warn({ err: errorInfo(err), lease: this.opts.name }, 'leader election: lease update failed');
      }
      if (ok) {
        this.lastRenew = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.log.info({ lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity }, 'became leader');
          this.callbacks.onStartedLeading();
        }
      } else if (this.leading && Date.now() - this.lastRenew > this.opts.renewDeadlineMs) {
        this.leading = false;
        this.log.error({ lease: this.opts.name, identity: this.opts.identity }, 'lost leadership (could not renew the lease in time)');
        try {
          await this.callbacks.onStoppedLeading();
        } catch (err) {
          this.log.error({ err: errorInfo(err) }, 'leader election: stopping after a lost lease failed');
        }
      }
      // Jitter keeps candidates from hitting the lease in lock-step.
      await sleep(this.opts.retryPeriodMs * (this.leading ? 1 : 0.8 + Math.random() * 0.4), this.abort.signal);
    }
  }

  private leaseBody(existing: V1Lease | undefined, now: V1MicroTime): V1Lease {
    const spec = existing?.spec ?? {};
    const takeover = spec.holderIdentity !== this.opts.identity;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.opts.name,
        namespace: this.opts.namespace,
        ...(existing?.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      },
      spec: {
        holderIdentity: this.opts.identity,
        leaseDurationSeconds: Math.max(1, Math.ceil(this.opts.leaseDurationMs / 1000)),
        acquireTime: takeover ? now : (spec.acquireTime ?? now),
        renewTime: now,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (takeover && existing ? 1 : 0),
      },
    };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name } = this.opts;
    const now = new V1MicroTime();
    let existing: V1Lease;
    try {
      existing = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      try {
        await this.api.createNamespacedLease({ namespace, body: this.leaseBody(undefined, now) });
        return true;
      } catch (createErr) {
        if (statusOf(createErr) === 409) return false; // someone else created it first
        throw createErr;
      }
    }
    const spec = existing.spec ?? {};
    const recordJson = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime, spec.leaseTransitions]);
    if (recordJson !== this.observedJson) {
      this.observedJson = recordJson;
      this.observedAt = Date.now();
    }
    const holder = spec.holderIdentity ?? '';
    const duration = (spec.leaseDurationSeconds ?? Math.ceil(this.opts.leaseDurationMs / 1000)) * 1000;
    if (holder && holder !== this.opts.identity && Date.now() - this.observedAt < duration) return false;
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body: this.leaseBody(existing, now) });
      return true;
    } catch (err) {
      if (statusOf(err) === 409) return false;
      throw err;
    }
  }

  /** Stops campaigning; if leading, gives the lease up so a standby takes over immediately. */
  async stop(release = true): Promise<void> {
    this.abort.abort();
    await this.loop;
    if (!release || !this.leading) return;
    this.leading = false;
    const { namespace, name } = this.opts;
    try {
      const lease = await this.api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== this.opts.identity) return;
      await this.api.replaceNamespacedLease({
        name,
        namespace,
        body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: new V1MicroTime() } },
      });
      this.log.info({ lease: `${namespace}/${name}` }, 'released leader lease');
    } catch (err) {
      this.log.warn({ err: errorInfo(err), lease: name }, 'could not release the leader lease (a standby takes over when it expires)');
    }
  }
}
