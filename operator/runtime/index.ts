// Public surface of the operator runtime, for controllers and leader-only tasks.
export type { Controller, ReconcileResult, Watch } from './controller.js';
export type { Runnable, RuntimeContext } from './manager.js';
export { Manager, resourceOf } from './manager.js';
export type { CacheReader, KubeObject, ObjectKey, ListOptions } from './cache.js';
export { objectKey, splitKey } from './cache.js';
export type { EventRecorder, EventType } from './events.js';
export { StatusWriter, describeApiError, stableJson } from './status.js';
export { setCondition, getCondition, isTrue, type Condition, type ConditionInput } from './conditions.js';
export { WorkQueue } from './workqueue.js';
export { sleep } from './informer.js';
