// Optimistic-concurrency status updates, shared by every component that writes a CR status
// (operator reconcilers, api-server). The write carries the resourceVersion it was computed
// from, so a concurrent writer makes it fail with 409 and we recompute from the fresh object:
// two writers can never silently overwrite each other (e.g. two replicas accepting one task).
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION, KINDS, type KindName } from './resources.js';
import { statusOf } from './client.js';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; resourceVersion?: string; generation?: number; uid?: string };
  status?: unknown;
}

export class ConflictError extends Error {
  constructor(what: string, attempts: number) {
    super(`${what}: still conflicting after ${attempts} attempts`);
    this.name = 'ConflictError';
  }
}

/** What `mutate` decides: change the object (return true) or leave it (false: nothing is written). */
export type Mutator<T> = (obj: T) => boolean;

export interface UpdateOptions<T> {
  /** Start from this object instead of reading it first (e.g. from an informer cache). */
  current?: T;
  maxAttempts?: number;
}

/**
 * Reads the object, applies `mutate` to a copy and writes its status with the read resourceVersion;
 * on 409 re-reads and tries again. Returns the written object, or the current one when `mutate`
 * said no change, or undefined when the object is gone.
 */
export async function updateStatus<T extends KubeObject>(
  kc: KubeConfig,
  kind: KindName,
  namespace: string,
  name: string,
  mutate: Mutator<T>,
  opts: UpdateOptions<T> = {},
): Promise<T | undefined> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const plural = KINDS[kind].plural;
  const maxAttempts = opts.maxAttempts ?? 8;
  let current = opts.current;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (!current) {
      try {
        current = (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, name })) as T;
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    }
    const next = structuredClone(current);
    if (!mutate(next)) return current;
    try {
      return (await api.replaceNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace, plural, name, body: next })) as T;
    } catch (err) {
      const code = statusOf(err);
      if (code === 404) return undefined;
      if (code !== 409) throw err;
      current = undefined; // someone else wrote first: recompute from the fresh object
    }
  }
  throw new ConflictError(`status of ${kind} ${namespace}/${name}`, maxAttempts);
}

/**
 * One attempt only, for writes that must not be retried blindly (a lost accept race is an answer,
 * not an error). Returns 'conflict' when the resourceVersion was stale.
 */
export async function writeStatusOnce<T extends KubeObject>(kc: KubeConfig, kind: KindName, obj: T): Promise<T | 'conflict' | 'gone'> {
  const api = kc.makeApiClient(CustomObjectsApi);
  try {
    return (await api.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace: obj.metadata.namespace!,
      plural: KINDS[kind].plural,
      name: obj.metadata.name!,
      body: obj,
    })) as T;
  } catch (err) {
    const code = statusOf(err);
    if (code === 409) return 'conflict';
    if (code === 404) return 'gone';
    throw err;
  }
}
