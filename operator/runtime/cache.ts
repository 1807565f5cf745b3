// Moved to lib/kube/cache.ts and lib/kube/object.ts; this re-export keeps old imports working.
export { ObjectCache, type CacheReader, type ListOptions } from '../../lib/kube/cache.js';
export { objectKey, splitKey, keyOf, type KubeObject, type ObjectKey } from '../../lib/kube/object.js';
