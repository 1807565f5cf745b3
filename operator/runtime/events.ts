// Kubernetes Events (core/v1) on our objects, so `kubectl describe` shows what the operator did.
// Repeats of the same event within 10 minutes bump `count` instead of creating new objects.
import { randomBytes } from 'node:crypto';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type CoreV1Event } from '@kubernetes/client-node';
import type { Logger } from '../../lib/log.js';
import { errorInfo } from '../../lib/log.js';
import type { KubeObject } from '../../lib/kube/object.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** Best effort: failures are logged, never thrown (an event must not fail a reconcile). */
  record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void>;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  at: number;
}

export class KubeEventRecorder implements EventRecorder {
  private readonly api: CoreV1Api;
  private readonly seen = new Map<string, Seen>();

  constructor(
    kc: KubeConfig,
    private readonly component: string,
    private readonly instance: string,
    private readonly log: Logger,
  ) {
    this.api = kc.makeApiClient(CoreV1Api);
  }

  async record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const meta = obj.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const dedupKey = `${meta.uid}\0${type}\0${reason}\0${message}`;
    const now = new Date();
    this.prune(now.getTime());
    const prev = this.seen.get(dedupKey);
    try {
      if (prev) {
        prev.count += 1;
        prev.at = now.getTime();
        await this.api.patchNamespacedEvent(
          { name: prev.name, namespace: prev.namespace, body: { count: prev.count, lastTimestamp: now } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        return;
      }
      const name = `${meta.name ?? 'object'}.${now.getTime().toString(16)}${randomBytes(3).toString('hex')}`;
      const body: CoreV1Event = {
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: meta.name,
          namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
        type,
        reason,
        message: message.slice(0, 1024),
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: this.component, host: this.instance },
        reportingComponent: this.component,
        reportingInstance: this.instance,
      };
      await this.api.createNamespacedEvent({ namespace, body });
      this.seen.set(dedupKey, { name, namespace, count: 1, at: now.getTime() });
    } catch (err) {
      if (prev) this.seen.delete(dedupKey); // the event may be gone; create a fresh one next time
      this.log.warn({ err: errorInfo(err), object: `${namespace}/${meta.name}`, reason }, 'could not record event');
    }
  }

  private prune(now: number): void {
    if (this.seen.size < 1000) {
      for (const [k, v] of this.seen) if (now - v.at > 10 * 60_000) this.seen.delete(k);
      return;
    }
    this.seen.clear();
  }
}
