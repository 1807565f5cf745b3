// Every object the chart renders must be accepted by the real kube-apiserver (server-side dry-run:
// full validation and admission, nothing stored). ServiceMonitor and ScaledObject come from
// prometheus-operator and KEDA, which the test apiserver does not run: their CRDs are registered
// here as schema-less stand-ins, so only our objects' apiVersion/kind/metadata are checked for them.
import { uniqueName } from '../../helpers/env.js';
import { FULL_VALUES, apply, createNamespace, kubectl, render, type K8sObject } from './helpers.js';

const STUB_CRDS = [
  { group: 'monitoring.coreos.com', version: 'v1', kind: 'ServiceMonitor', plural: 'servicemonitors' },
  { group: 'keda.sh', version: 'v1alpha1', kind: 'ScaledObject', plural: 'scaledobjects' },
];

function stubCrd(c: (typeof STUB_CRDS)[number]): K8sObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${c.plural}.${c.group}` },
    spec: {
      group: c.group,
      scope: 'Namespaced',
      names: { kind: c.kind, plural: c.plural, singular: c.kind.toLowerCase(), listKind: `${c.kind}List` },
      versions: [
        {
          name: c.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

/**
 * Renders the chart into a fresh namespace and dry-runs every object there. Pods need their
 * ServiceAccounts (admission checks them), so those are created for real first.
 */
async function dryRun(
  label: string,
  opts: { valuesFiles?: string[]; set?: string[] } = {},
): Promise<{ objects: K8sObject[]; out: string }> {
  const ns = uniqueName(`chart-dry-${label}`);
  await createNamespace(ns);
  const objects = await render(ns, opts);
  // A cluster's controller-manager would have made `default`; the helm-test Pod uses it.
  const accounts: K8sObject[] = [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }];
  accounts.push(...objects.filter((o) => o.kind === 'ServiceAccount'));
  await apply(accounts, ns, `${label}-sa`, false);
  const out = await apply(objects, ns, label, true);
  // kubectl prints one line per object it sent to the apiserver: none may be missing.
  const lines = out.split('\n').filter((l) => l.endsWith('(server dry run)'));
  expect(lines).toHaveLength(objects.length);
  return { objects, out };
}

beforeAll(async () => {
  await apply(STUB_CRDS.map(stubCrd), 'default', 'stub-crds', false);
  const r = await kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...STUB_CRDS.map((c) => `crd/${c.plural}.${c.group}`)]);
  if (r.code !== 0) throw new Error(`stand-in CRDs not Established: ${r.stderr}`);
});

afterAll(async () => {
  await kubectl(['delete', '--ignore-not-found', ...STUB_CRDS.map((c) => `crd/${c.plural}.${c.group}`)]);
});

test('default values: every rendered object passes server-side dry-run', async () => {
  const { out } = await dryRun('default');
  expect(out).toMatch(/deployment\.apps\/ct-cloudtranscode-runner \w+ \(server dry run\)/);
  expect(out).toMatch(/customresourcedefinition\.apiextensions\.k8s\.io\/transcodejobs\.cloudtranscode\.io \w+ \(server dry run\)/);
  expect(out).toMatch(/pod\/ct-cloudtranscode-test-api-server \w+ \(server dry run\)/);
});

test('full values: every rendered object passes server-side dry-run', async () => {
  const { objects } = await dryRun('full', { valuesFiles: [FULL_VALUES] });
  expect(objects.map((o) => o.kind)).toEqual(
    expect.arrayContaining(['Ingress', 'ScaledObject', 'ServiceMonitor', 'NetworkPolicy', 'ClusterRoleBinding']),
  );
});

test('HPA autoscaling, NodePort service, runner disabled, no RBAC: server-side dry-run', async () => {
  await dryRun('hpa', {
    set: [
      'runner.autoscaling.hpa.enabled=true',
      'runner.pdb.enabled=true',
      'apiServer.service.type=NodePort',
      'networkPolicy.enabled=true',
    ],
  });
  const { objects } = await dryRun('norunner', {
    set: ['runner.enabled=false', 'rbac.create=false', 'crds.enabled=false', 'operator.leaderElection.enabled=false'],
  });
  expect(objects.some((o) => o.metadata.name.endsWith('-runner'))).toBe(false);
  expect(objects.some((o) => o.kind === 'Role' || o.kind === 'CustomResourceDefinition')).toBe(false);
});
