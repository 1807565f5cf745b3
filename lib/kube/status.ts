// The one status writer, shared by every component that writes a CR status (operator reconcilers,
// api-server). The write carries the resourceVersion it was computed from, so a concurrent writer
// makes it fail with 409 and we recompute from the fresh object: two writers can never silently
// overwrite each other (e.g. two replicas accepting one task). Unchanged statuses are not written
// (no self-triggered reconcile loops).
import type { KubeConfig } from '@kubernetes/client-node';
import { describeApiError, statusOf } from './client.js';
import { crsOf } from './crs.js';
import type { KubeObject } from './object.js';
import { KINDS, type KindName, type ResourceType } from './resources.js';

export type { KubeObject } from './object.js';

export class ConflictError extends Error {
  constructor(what: string, attempts: number) {
    super(`${what}: still conflicting after ${attempts} attempts`);
    this.name = 'ConflictError';
  }
}

/** JSON with sorted keys: a cheap deep-equality check for API objects. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
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
  const api = crsOf<T>(kc, kind);
  const maxAttempts = opts.maxAttempts ?? 8;
  let current = opts.current;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (!current) {
      current = await api.find(namespace, name);
      if (!current) return undefined;
    }
    const next = structuredClone(current);
    if (!mutate(next)) return current;
    try {
      return await api.replaceStatus(next);
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
  try {
    return await crsOf<T>(kc, kind).replaceStatus(obj);
  } catch (err) {
    const code = statusOf(err);
    if (code === 409) return 'conflict';
    if (code === 404) return 'gone';
    throw err;
  }
}

export type WithStatus<S> = KubeObject & { status?: S };

function kindOf(type: ResourceType | KindName): KindName {
  const kind = typeof type === 'string' ? type : type.kind;
  if (!(kind in KINDS)) throw new Error(`no status writer for kind ${kind}`);
  return kind as KindName;
}

/**
 * The status writer in the style controllers use (`ctx.status`): `compute` gets the freshest object
 * and returns the desired status (undefined = leave it); a status equal to the stored one is not
 * written. A thin layer over updateStatus that adds the apiserver's message to failures.
 */
export class StatusWriter {
  constructor(private readonly kc: KubeConfig) {}

  /** Writes compute(current) as the status of `obj`. Returns the stored object, or undefined if it is gone. */
  async update<S, T extends WithStatus<S>>(
    type: ResourceType | KindName,
    obj: T,
    compute: (current: T) => S | undefined,
    maxAttempts = 5,
  ): Promise<T | undefined> {
    const kind = kindOf(type);
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const mutate = (current: T): boolean => {
      const status = compute(current);
      if (status === undefined || stableJson(status) === stableJson(current.status)) return false;
      current.status = status;
      return true;
    };
    try {
      return await updateStatus<T>(this.kc, kind, namespace, name, mutate, { current: obj, maxAttempts });
    } catch (err) {
      throw new Error(`writing status of ${kind} ${namespace}/${name} failed: ${describeApiError(err)}`, { cause: err });
    }
  }
}
