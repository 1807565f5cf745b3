// Moved to lib/kube/status.ts (the one status writer). Left only for operator/job/writer.ts, owned
// by another change while the rest was switched; delete this file once it imports lib/kube/status.js.
export { StatusWriter, stableJson, type WithStatus } from '../../lib/kube/status.js';
export { describeApiError } from '../../lib/kube/client.js';
