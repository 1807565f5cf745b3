// Moved to lib/kube/http.ts; this re-export keeps old imports working.
export { shareAgent, getJson, streamWatch, KubeHttpError, type WatchEvent } from '../../lib/kube/http.js';
