// The read-only view of an informer's objects that controllers and other components query.
// Objects handed out are the cached instances: treat them as immutable (copy before mutating).
import { keyOf, type KubeObject, type ObjectKey } from './object.js';

export interface ListOptions {
  namespace?: string;
  /** Every label must match exactly. */
  labels?: Record<string, string>;
}

/** Read-only queries over one kind's cache. */
export interface CacheReader<T extends KubeObject> {
  get(key: ObjectKey): T | undefined;
  list(opts?: ListOptions): T[];
  /** Objects whose `label` has value `value` (indexed: O(result)). */
  byLabel(label: string, value: string, namespace?: string): T[];
  size(): number;
}

export class ObjectCache<T extends KubeObject> implements CacheReader<T> {
  private readonly objects = new Map<ObjectKey, T>();
  // label name → value → keys. Labels are the common way to find related objects (jobs of a client).
  private readonly labelIndex = new Map<string, Map<string, Set<ObjectKey>>>();

  static keyOf(obj: KubeObject): ObjectKey {
    return keyOf(obj);
  }

  get(key: ObjectKey): T | undefined {
    return this.objects.get(key);
  }

  size(): number {
    return this.objects.size;
  }

  list(opts: ListOptions = {}): T[] {
    const out: T[] = [];
    for (const obj of this.objects.values()) {
      if (opts.namespace !== undefined && obj.metadata?.namespace !== opts.namespace) continue;
      if (opts.labels && !Object.entries(opts.labels).every(([k, v]) => obj.metadata?.labels?.[k] === v)) continue;
      out.push(obj);
    }
    return out;
  }

  byLabel(label: string, value: string, namespace?: string): T[] {
    const keys = this.labelIndex.get(label)?.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const obj = this.objects.get(k);
      if (obj && (namespace === undefined || obj.metadata?.namespace === namespace)) out.push(obj);
    }
    return out;
  }

  /** Stores obj and returns the previous version (if any). */
  upsert(obj: T): T | undefined {
    const key = ObjectCache.keyOf(obj);
    const old = this.objects.get(key);
    if (old) this.unindex(key, old);
    this.objects.set(key, obj);
    this.index(key, obj);
    return old;
  }

  remove(obj: KubeObject): T | undefined {
    const key = ObjectCache.keyOf(obj);
    const old = this.objects.get(key);
    if (old) {
      this.unindex(key, old);
      this.objects.delete(key);
    }
    return old;
  }

  private index(key: ObjectKey, obj: T): void {
    for (const [k, v] of Object.entries(obj.metadata?.labels ?? {})) {
      let values = this.labelIndex.get(k);
      if (!values) this.labelIndex.set(k, (values = new Map()));
      let keys = values.get(v);
      if (!keys) values.set(v, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindex(key: ObjectKey, obj: T): void {
    for (const [k, v] of Object.entries(obj.metadata?.labels ?? {})) {
      const values = this.labelIndex.get(k);
      const keys = values?.get(v);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) values!.delete(v);
      if (values!.size === 0) this.labelIndex.delete(k);
    }
  }
}
