// Kubernetes client construction, shared by all components. One KubeConfig per process; the
// client-node library keeps its own keep-alive agent per cluster, so we build the config once and
// derive every API client from it (re-creating configs per call leaks sockets, see
// kubernetes-client/javascript#2127).
import { KubeConfig } from '@kubernetes/client-node';

let shared: KubeConfig | undefined;

/** Loads $KUBECONFIG (or in-cluster config when running in a pod), once per process. */
export function kubeConfig(): KubeConfig {
  if (!shared) {
    const kc = new KubeConfig();
    if (process.env['KUBECONFIG']) kc.loadFromFile(process.env['KUBECONFIG']);
    else kc.loadFromDefault();
    shared = kc;
  }
  return shared;
}

export function namespaceOf(kc: KubeConfig): string {
  return process.env['POD_NAMESPACE'] ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}

/** HTTP status of a client-node ApiException (or undefined for other errors). */
export function statusOf(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'number') {
    return (err as { code: number }).code;
  }
  return undefined;
}

/**
 * The apiserver refused a write because the object is too big: 413 from its body limit, or etcd's
 * `request is too large` (surfaced as 500 or 422 with that message). Retrying cannot help.
 */
export function isRequestTooLarge(err: unknown): boolean {
  const code = statusOf(err);
  if (code === 413) return true;
  if (code === undefined) return false;
  const body = (err as { body?: unknown }).body;
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  return /request is too large|request entity too large|too long: must have at most/i.test(text);
}

/** The apiserver's message from an ApiException body (falls back to the error text). */
export function describeApiError(err: unknown): string {
  const body = (err as { body?: unknown } | undefined)?.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return `${statusOf(err) ?? ''} ${parsed.message}`.trim();
    } catch {
      return body.slice(0, 500);
    }
  }
  if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  return err instanceof Error ? err.message : String(err);
}
