// The shape every Kubernetes object shares, and the one key format for objects in caches and work
// queues: `namespace/name` (or `name` for cluster-scoped objects), as in client-go.

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string | Date;
    creationTimestamp?: string | Date;
  };
}

/** `namespace/name` (or `name` for cluster-scoped objects). */
export type ObjectKey = string;

export function objectKey(namespace: string | undefined, name: string): ObjectKey {
  return namespace ? `${namespace}/${name}` : name;
}

/** The key of an object (by its metadata). */
export function keyOf(obj: KubeObject): ObjectKey {
  return objectKey(obj.metadata?.namespace, obj.metadata?.name ?? '');
}

export function splitKey(key: ObjectKey): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
