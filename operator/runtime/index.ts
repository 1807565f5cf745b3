// Public surface of the operator runtime, for controllers and leader-only tasks. The Kubernetes
// layer it builds on (informer, cache, object keys, status writer, typed client) is lib/kube/.
export type { Controller, ReconcileResult, Watch } from './controller.js';
export type { Runnable, RuntimeContext } from './manager.js';
export { Manager, resourceOf } from './manager.js';
export type { CacheReader, ListOptions } from '../../lib/kube/cache.js';
export type { KubeObject, ObjectKey } from '../../lib/kube/object.js';
export { objectKey, splitKey } from '../../lib/kube/object.js';
export type { EventRecorder, EventType } from './events.js';
export { StatusWriter, stableJson } from '../../lib/kube/status.js';
export { describeApiError } from '../../lib/kube/client.js';
export { setCondition, getCondition, isTrue, type Condition, type ConditionInput } from './conditions.js';
export { WorkQueue } from './workqueue.js';
export { sleep } from '../../lib/kube/informer.js';
