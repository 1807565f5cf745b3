// RBAC of the chart against the real kube-apiserver: the rendered ServiceAccounts, Roles and
// bindings are applied for real, then `kubectl auth can-i --as=system:serviceaccount:…` checks that
// each component can do what its code needs and nothing more (tables in permissions.ts).
import { uniqueName } from '../../helpers/env.js';
import { apply, createNamespace, find, kubectl, one, render, type K8sObject } from './helpers.js';
import { violations, type Component } from './permissions.js';

const RBAC_KINDS = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
const other = uniqueName('chart-rbac-other');
const clusterScoped: string[] = [];

function serviceAccountOf(objects: K8sObject[], component: Component): string {
  const deployment = one(objects, 'Deployment', `-${component}`);
  return deployment.spec.template.spec.serviceAccountName;
}

function leaseNameOf(objects: K8sObject[]): string {
  const env = one(objects, 'Deployment', '-operator').spec.template.spec.containers[0].env as { name: string; value?: string }[];
  const lease = env.find((e) => e.name === 'CT_LEASE_NAME')?.value;
  if (!lease) throw new Error('operator Deployment has no CT_LEASE_NAME');
  return lease;
}

/** Renders the chart into a fresh namespace and applies its RBAC objects for real. */
async function install(
  label: string,
  set: string[] = [],
  mutate?: (objects: K8sObject[]) => void,
): Promise<{ ns: string; objects: K8sObject[] }> {
  const ns = uniqueName(`chart-rbac-${label}`);
  await createNamespace(ns);
  const objects = await render(ns, { set, release: label });
  mutate?.(objects);
  const rbac = objects.filter((o) => RBAC_KINDS.has(o.kind));
  for (const o of rbac) if (o.kind.startsWith('Cluster')) clusterScoped.push(`${o.kind.toLowerCase()}/${o.metadata.name}`);
  await apply(rbac, ns, `rbac-${label}`, false);
  return { ns, objects };
}

beforeAll(async () => {
  await createNamespace(other);
});

afterAll(async () => {
  // Namespaced objects go with the test environment; cluster-scoped ones are removed here.
  if (clusterScoped.length) await kubectl(['delete', '--ignore-not-found', ...clusterScoped]);
});

test('namespace scope (default): each ServiceAccount can do what its component needs, and no more', async () => {
  const { ns, objects } = await install('ns');
  expect(find(objects, 'ClusterRole')).toHaveLength(0);
  const lease = leaseNameOf(objects);
  const problems: string[] = [];
  for (const component of ['operator', 'api-server', 'runner'] as const) {
    problems.push(...(await violations(ns, other, serviceAccountOf(objects, component), component, lease)));
  }
  expect(problems).toEqual([]);
});

test('cluster scope: custom resources in every namespace, Secrets and the Lease still only in the release namespace', async () => {
  const { ns, objects } = await install('cl', ['rbac.scope=Cluster']);
  expect(find(objects, 'ClusterRole').length).toBe(2);
  const lease = leaseNameOf(objects);
  const operatorSa = serviceAccountOf(objects, 'operator');
  const apiSa = serviceAccountOf(objects, 'api-server');
  const ask = async (sa: string, args: string[]) =>
    (await kubectl(['auth', 'can-i', ...args, `--as=system:serviceaccount:${ns}:${sa}`])).stdout.trim();
  expect(await ask(operatorSa, ['list', 'transcodejobs.cloudtranscode.io', '--all-namespaces'])).toBe('yes');
  expect(await ask(operatorSa, ['patch', 'transcodeclients.cloudtranscode.io', '--subresource=status', '-n', other])).toBe('yes');
  expect(await ask(operatorSa, ['create', 'events', '-n', other])).toBe('yes');
  expect(await ask(operatorSa, ['create', 'leases.coordination.k8s.io', '-n', other])).toBe('no');
  expect(await ask(operatorSa, ['get', `leases.coordination.k8s.io/${lease}`, '-n', ns])).toBe('yes');
  expect(await ask(apiSa, ['patch', 'transcodejobs.cloudtranscode.io', '--subresource=status', '-n', other])).toBe('yes');
  expect(await ask(apiSa, ['list', 'secrets', '-n', other])).toBe('no');
  expect(await ask(apiSa, ['list', 'secrets', '-n', ns])).toBe('yes');
  expect(await ask(apiSa, ['delete', 'transcodeclients.cloudtranscode.io', '-n', other])).toBe('no');
});

test('without admin token management the api-server cannot create or delete Secrets', async () => {
  const { ns, objects } = await install('ro', ['apiServer.rbac.manageRegistrationTokens=false']);
  const sa = serviceAccountOf(objects, 'api-server');
  for (const [verb, want] of [
    ['get', 'yes'],
    ['watch', 'yes'],
    ['create', 'no'],
    ['delete', 'no'],
  ] as const) {
    const r = await kubectl(['auth', 'can-i', verb, 'secrets', '-n', ns, `--as=system:serviceaccount:${ns}:${sa}`]);
    expect(`${verb}: ${r.stdout.trim()}`).toBe(`${verb}: ${want}`);
  }
});

test('a chart that drops the api-server patch on transcodejobs/status fails the check', async () => {
  // The broken case the acceptance names: the same check that passes above must report it.
  const { ns, objects } = await install('broken', [], (objs) => {
    const role = one(objs, 'Role', '-api-server');
    const rule = (role.rules as { resources: string[]; verbs: string[] }[]).find((r) => r.resources.includes('transcodejobs/status'));
    if (!rule) throw new Error('api-server Role has no rule on transcodejobs/status');
    rule.verbs = rule.verbs.filter((v) => v !== 'patch');
  });
  const problems = await violations(ns, other, serviceAccountOf(objects, 'api-server'), 'api-server', leaseNameOf(objects));
  expect(problems).toEqual(['api-server missing: patch transcodejobs.cloudtranscode.io (status)']);
});

test('a chart that binds the runner to the api-server Role fails the check', async () => {
  const { ns, objects } = await install('leaky', [], (objs) => {
    const role = one(objs, 'Role', '-api-server');
    const binding = one(objs, 'RoleBinding', '-api-server');
    binding.subjects.push({ kind: 'ServiceAccount', name: serviceAccountOf(objs, 'runner'), namespace: role.metadata.namespace ?? '' });
  });
  const problems = await violations(ns, other, serviceAccountOf(objects, 'runner'), 'runner', leaseNameOf(objects));
  expect(problems).toEqual(
    expect.arrayContaining(['runner must not have: get secrets', 'runner must not have: patch transcodejobs.cloudtranscode.io (status)']),
  );
});
