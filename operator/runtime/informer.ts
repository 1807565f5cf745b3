// Moved to lib/kube/informer.ts; this re-export keeps old imports working.
export { Informer, sleep, type InformerHandler, type InformerOptions } from '../../lib/kube/informer.js';
export type { ResourceType } from '../../lib/kube/resources.js';
