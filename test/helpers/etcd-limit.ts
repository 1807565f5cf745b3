// Finding how big a TranscodeJob the test cluster stores (etcd refuses requests over its limit,
// 1.5 MiB by default): jobs padded with `spec.cancelTasks` entries — a field the size estimate of
// lib/jobs/status-limits.ts does not count — are tried until the largest padding that fits is known
// to within `precision` bytes. Tests then make a job just under the limit, so that the next status
// write that grows it is refused as too large by the real apiserver + etcd.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../lib/kube/resources.js';
import { statusOf } from '../../lib/kube/client.js';
import { uniqueName } from './env.js';

const ENTRY = 10_000;

/** `bytes` of padding as cancelTasks entries (strings no task uuid matches). */
export function padding(bytes: number): string[] {
  const out: string[] = [];
  for (let left = bytes, i = 0; left > 0; left -= ENTRY, i++) out.push(`pad-${i}-`.padEnd(Math.min(ENTRY, left), 'x'));
  return out;
}

/**
 * Largest padding (bytes) for which `attempt(pad, name)` — creating a job named `name` and whatever
 * writes the test needs — is accepted by the cluster; a 4xx/5xx answer means "too big". Every probe
 * job is deleted again.
 */
export async function largestPadding(
  objects: CustomObjectsApi,
  namespace: string,
  attempt: (pad: string[], name: string) => Promise<unknown>,
  precision = 1024,
): Promise<number> {
  let lo = 1_000_000; // fits on any etcd with the default limit
  let hi = 1_700_000; // over the default limit
  while (hi - lo > precision) {
    const mid = Math.floor((lo + hi) / 2);
    const name = uniqueName('etcd-probe');
    let ok = true;
    try {
      await attempt(padding(mid), name);
    } catch (err) {
      const code = statusOf(err);
      if (code === undefined || code < 400) throw err;
      ok = false;
    }
    await objects
      .deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: 'transcodejobs', name })
      .catch(() => undefined);
    if (ok) lo = mid;
    else hi = mid;
  }
  return lo;
}
