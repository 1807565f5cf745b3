// Moved to lib/kube/cache.ts and lib/kube/object.ts. Left only for operator/job/controller.ts and
// operator/job/writer.ts, owned by other changes while the rest was switched; delete this file once
// they import lib/kube/cache.js and lib/kube/object.js.
export { ObjectCache, type CacheReader, type ListOptions } from '../../lib/kube/cache.js';
export { objectKey, splitKey, keyOf, type KubeObject, type ObjectKey } from '../../lib/kube/object.js';
