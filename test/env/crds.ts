// Installs the CRDs from crds/ (the files users apply) and waits until they are Established.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApiextensionsV1Api, loadYaml, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { REPO_ROOT } from './paths.js';
import { waitFor } from './process.js';
import { statusOf } from '../../lib/kube/client.js';

export function loadCrds(): V1CustomResourceDefinition[] {
  const dir = join(REPO_ROOT, 'crds');
  return (
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      // The typed client serializes model properties (x_kubernetes_validations, _default), so raw YAML
      // keys like `x-kubernetes-validations` or `default` must go through the library's deserializer (loadYaml) first or
      // they are silently dropped.
      .map((f) => loadYaml<V1CustomResourceDefinition>(readFileSync(join(dir, f), 'utf8')))
  );
}

export async function installCrds(kc: KubeConfig): Promise<string[]> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const names: string[] = [];
  for (const crd of loadCrds()) {
    const name = crd.metadata!.name!;
    names.push(name);
    try {
      await api.createCustomResourceDefinition({ body: crd });
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      const existing = await api.readCustomResourceDefinition({ name });
      await api.replaceCustomResourceDefinition({
        name,
        body: { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata!.resourceVersion! } },
      });
    }
  }
  for (const name of names) {
    await waitFor(
      `CRD ${name} Established`,
      async () => {
        const crd = await api.readCustomResourceDefinition({ name });
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
      },
      60_000,
    );
  }
  return names;
}
