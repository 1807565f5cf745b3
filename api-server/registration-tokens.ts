// Registration tokens live in Secrets labelled cloudtranscode.io/registration-token=true (visible
// and revocable with kubectl). Tokens we generate are stored only as `tokenHash` (sha256 hex); a
// Secret may instead carry the plain `token` (the Helm chart makes one for our runner Deployment).
// Every candidate is compared in constant time.
import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { LABEL_REGISTRATION_TOKEN } from '../lib/kube/resources.js';
import type { Store } from './store.js';
import { newRegistrationToken, sameHash, sameSecret, sha256Hex } from './tokens.js';

function decode(secret: V1Secret, key: string): string | undefined {
  const b64 = secret.data?.[key];
  if (b64 !== undefined) return Buffer.from(b64, 'base64').toString('utf8');
  return secret.stringData?.[key];
}

/** The registration-token Secret matching `token`, or undefined. */
export function findRegistrationToken(store: Store, token: string): V1Secret | undefined {
  const hash = sha256Hex(token);
  let match: V1Secret | undefined;
  for (const secret of store.tokens.cache.list()) {
    if (secret.metadata?.deletionTimestamp) continue;
    const storedHash = decode(secret, 'tokenHash')?.trim();
    const plain = decode(secret, 'token');
    // No early exit: every Secret is checked, so timing does not depend on which one matched.
    const ok = (storedHash !== undefined && sameHash(hash, storedHash)) || (plain !== undefined && sameSecret(token, plain.trim()));
    if (ok && !match) match = secret;
  }
  return match;
}

/** Creates a registration-token Secret; the plain token is returned once and never stored. */
export async function createRegistrationToken(kc: KubeConfig, namespace: string): Promise<{ secret: V1Secret; token: string }> {
  const token = newRegistrationToken();
  const name = `runner-registration-${randomBytes(5).toString('hex')}`;
  const secret = await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace,
    body: {
      metadata: { name, namespace, labels: { [LABEL_REGISTRATION_TOKEN]: 'true' } },
      type: 'Opaque',
      data: { tokenHash: Buffer.from(sha256Hex(token)).toString('base64') },
    },
  });
  return { secret, token };
}
