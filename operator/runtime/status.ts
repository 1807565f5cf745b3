// Moved to lib/kube/status.ts (the one status writer); this re-export keeps old imports working.
export { StatusWriter, stableJson, type WithStatus } from '../../lib/kube/status.js';
export { describeApiError } from '../../lib/kube/client.js';
