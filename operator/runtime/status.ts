// Status writer: replaces the status subresource guarded by resourceVersion, so a write based on a
// stale read fails with 409 instead of overwriting someone else's update; on 409 it re-reads and
// recomputes. Skips the write when nothing changed (no self-triggered reconcile loops).
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { statusOf } from '../../lib/kube/client.js';
import type { KubeObject } from './cache.js';
import type { ResourceType } from './informer.js';

export type WithStatus<S> = KubeObject & { status?: S };

/** JSON with sorted keys: a cheap deep-equality check for API objects. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}

export class StatusWriter {
  private readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  /**
   * Writes compute(current) as the status of `obj`. compute gets the freshest object it has seen and returns
   * the desired status (or undefined to leave it). Returns the stored object, or undefined if it is gone.
   */
  async update<S, T extends WithStatus<S>>(
    type: ResourceType,
    obj: T,
    compute: (current: T) => S | undefined,
    maxAttempts = 5,
  ): Promise<T | undefined> {
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const ref = { group: type.group, version: type.version, namespace, plural: type.plural, name };
    let current = obj;
    for (let attempt = 1; ; attempt++) {
      const status = compute(current);
      if (status === undefined || stableJson(status) === stableJson(current.status)) return current;
      try {
        return (await this.api.replaceNamespacedCustomObjectStatus({ ...ref, body: { ...current, status } })) as T;
      } catch (err) {
        const code = statusOf(err);
        if (code === 404) return undefined;
        if (code !== 409 || attempt >= maxAttempts) {
          throw new Error(`writing status of ${type.kind} ${namespace}/${name} failed (attempt ${attempt}): ${describeApiError(err)}`, {
            cause: err,
          });
        }
        try {
          current = (await this.api.getNamespacedCustomObject(ref)) as T;
        } catch (getErr) {
          if (statusOf(getErr) === 404) return undefined;
          throw getErr;
        }
      }
    }
  }
}

/** The apiserver's message from an ApiException body (falls back to the error text). */
export function describeApiError(err: unknown): string {
  const body = (err as { body?: unknown } | undefined)?.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return `${statusOf(err) ?? ''} ${parsed.message}`.trim();
    } catch {
      return body.slice(0, 500);
    }
  }
  if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  return err instanceof Error ? err.message : String(err);
}
