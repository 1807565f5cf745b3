// Revoking a registration token, shared by the admin API and the console. Like PeerTube, revoking
// a token unregisters the runners registered with it.
import { CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import { statusOf } from '../lib/kube/client.js';
import { deleteRunner, type RegistrationDeps } from './runners/registration.js';

export type RevokeDeps = Pick<RegistrationDeps, 'kc' | 'store' | 'onRunnerRemoved'>;

/** Deletes the token's runners, then its Secret; returns how many runners went. */
export async function revokeRegistrationToken(
  deps: RevokeDeps,
  secret: V1Secret & { metadata: { name: string; namespace: string } },
): Promise<number> {
  const { name, namespace } = secret.metadata;
  const runners = deps.store.runners.cache.list().filter((x) => x.spec.registrationToken === name && x.metadata.namespace === namespace);
  for (const runner of runners) await deleteRunner(deps, runner);
  try {
    await deps.kc.makeApiClient(CoreV1Api).deleteNamespacedSecret({ name, namespace });
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
  deps.store.tokens.cache.remove(secret);
  return runners.length;
}
