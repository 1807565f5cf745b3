// What each component needs from the Kubernetes API, and what it must not get. The RBAC test asks
// the real kube-apiserver (`kubectl auth can-i` impersonating each ServiceAccount) for every line:
// these tables come from the components' code, not from the chart, so a chart change that drops or
// widens a permission fails the test.
import { kubectl } from './helpers.js';

export interface Access {
  verb: string;
  resource: string;
  subresource?: string;
  name?: string;
  /** Where to ask: the release namespace (default), another namespace, or all namespaces. */
  where?: 'release' | 'other' | 'all';
}

export type Component = 'operator' | 'api-server' | 'runner';

const CT = (r: string) => `${r}.cloudtranscode.io`;
const each = (verbs: string[], resource: string, extra: Omit<Access, 'verb' | 'resource'> = {}): Access[] =>
  verbs.map((verb) => ({ verb, resource, ...extra }));

export function needs(component: Component, leaseName: string): Access[] {
  switch (component) {
    case 'operator':
      return [
        ...each(['get', 'list', 'watch', 'update', 'patch'], CT('transcodeclients')),
        ...each(['get', 'update', 'patch'], CT('transcodeclients'), { subresource: 'status' }),
        ...each(['update'], CT('transcodeclients'), { subresource: 'finalizers' }),
        // delete: finished jobs after their TTL (operator/retention/).
        ...each(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], CT('transcodejobs')),
        ...each(['get', 'update', 'patch'], CT('transcodejobs'), { subresource: 'status' }),
        ...each(['update'], CT('transcodejobs'), { subresource: 'finalizers' }),
        ...each(['get', 'list', 'watch'], CT('transcoderunners')),
        ...each(['create', 'patch'], 'events'),
        ...each(['create'], 'leases.coordination.k8s.io'),
        ...each(['get', 'update'], 'leases.coordination.k8s.io', { name: leaseName }),
      ];
    case 'api-server':
      return [
        ...each(['get', 'list', 'watch', 'create'], CT('transcodejobs')),
        ...each(['get', 'update', 'patch'], CT('transcodejobs'), { subresource: 'status' }),
        ...each(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], CT('transcoderunners')),
        ...each(['get', 'update', 'patch'], CT('transcoderunners'), { subresource: 'status' }),
        ...each(['get', 'list', 'watch'], CT('transcodeclients')),
        ...each(['get', 'list', 'watch', 'create', 'delete'], 'secrets'),
      ];
    case 'runner':
      return [];
  }
}

export function forbidden(component: Component, leaseName: string): Access[] {
  const everyoneDenied: Access[] = [
    ...each(['create', 'delete'], CT('transcodeclients')),
    ...each(['deletecollection'], CT('transcodejobs')),
    ...each(['update', 'patch'], 'secrets'),
    ...each(['get', 'create', 'delete'], 'pods'),
    ...each(['get', 'list'], 'configmaps'),
    ...each(['create'], 'pods', { subresource: 'exec' }),
    ...each(['create', 'update', 'patch'], 'roles.rbac.authorization.k8s.io'),
    ...each(['create'], 'rolebindings.rbac.authorization.k8s.io'),
    ...each(['create', 'update', 'delete'], 'customresourcedefinitions.apiextensions.k8s.io'),
    ...each(['get', 'list'], CT('transcodejobs'), { where: 'all' }),
    ...each(['get', 'list'], 'secrets', { where: 'other' }),
    ...each(['get', 'list'], 'secrets', { where: 'all' }),
    ...each(['impersonate'], 'serviceaccounts'),
  ];
  switch (component) {
    case 'operator':
      return [
        ...everyoneDenied,
        ...each(['get', 'list', 'watch', 'create', 'delete'], 'secrets'),
        ...each(['create', 'update', 'patch', 'delete'], CT('transcoderunners')),
        ...each(['update', 'patch'], CT('transcoderunners'), { subresource: 'status' }),
        ...each(['get', 'update', 'delete'], 'leases.coordination.k8s.io', { name: 'someone-elses-lease' }),
        ...each(['delete', 'list'], 'leases.coordination.k8s.io'),
        ...each(['create'], 'leases.coordination.k8s.io', { where: 'other' }),
        ...each(['get', 'list'], CT('transcodeclients'), { where: 'other' }),
      ];
    case 'api-server':
      return [
        ...everyoneDenied,
        ...each(['delete'], CT('transcodejobs')),
        ...each(['update', 'patch'], CT('transcodeclients')),
        ...each(['update', 'patch'], CT('transcodeclients'), { subresource: 'status' }),
        ...each(['update'], CT('transcodejobs'), { subresource: 'finalizers' }),
        ...each(['create', 'get', 'update'], 'leases.coordination.k8s.io', { name: leaseName }),
        ...each(['create'], 'events'),
        ...each(['get', 'list'], CT('transcodejobs'), { where: 'other' }),
        ...each(['patch'], CT('transcodejobs'), { subresource: 'status', where: 'other' }),
      ];
    case 'runner':
      return [
        ...everyoneDenied,
        ...each(['get', 'list', 'watch', 'create', 'delete'], 'secrets'),
        ...each(['get', 'list', 'watch', 'update', 'patch', 'delete'], CT('transcodejobs')),
        ...each(['patch'], CT('transcodejobs'), { subresource: 'status' }),
        ...each(['get', 'list', 'create'], CT('transcoderunners')),
        ...each(['get', 'list'], CT('transcodeclients')),
        ...each(['create'], 'events'),
        ...each(['get', 'create'], 'leases.coordination.k8s.io'),
      ];
  }
}

export function describe(a: Access): string {
  return `${a.verb} ${a.resource}${a.name ? `/${a.name}` : ''}${a.subresource ? ` (${a.subresource})` : ''}${a.where && a.where !== 'release' ? ` in ${a.where} namespace(s)` : ''}`;
}

/** Asks the apiserver `can-i` for one access as the given ServiceAccount. */
export async function canI(namespace: string, otherNamespace: string, serviceAccount: string, a: Access): Promise<boolean> {
  const args = [
    'auth',
    'can-i',
    a.verb,
    a.name ? `${a.resource}/${a.name}` : a.resource,
    `--as=system:serviceaccount:${namespace}:${serviceAccount}`,
  ];
  if (a.subresource) args.push(`--subresource=${a.subresource}`);
  if (a.where === 'all') args.push('--all-namespaces');
  else args.push('-n', a.where === 'other' ? otherNamespace : namespace);
  const r = await kubectl(args);
  const answer = r.stdout.trim();
  // 0/"yes" and 1/"no" are answers; anything else (unknown resource, bad flag) is a broken check.
  if (r.code === 0 && answer === 'yes') return true;
  if (r.code === 1 && answer === 'no') return false;
  throw new Error(`kubectl ${args.join(' ')}: exit ${r.code}, stdout ${JSON.stringify(answer)}, stderr ${r.stderr}`);
}

/** Every mismatch between the tables and what the apiserver answers, e.g. "missing: patch …". */
export async function violations(
  namespace: string,
  otherNamespace: string,
  serviceAccount: string,
  component: Component,
  leaseName: string,
): Promise<string[]> {
  const checks = [
    ...needs(component, leaseName).map((a) => ({ a, want: true })),
    ...forbidden(component, leaseName).map((a) => ({ a, want: false })),
  ];
  const out: string[] = [];
  // A few kubectl processes at a time: the machine is shared.
  for (let i = 0; i < checks.length; i += 4) {
    const batch = checks.slice(i, i + 4);
    const answers = await Promise.all(batch.map(({ a }) => canI(namespace, otherNamespace, serviceAccount, a)));
    batch.forEach(({ a, want }, j) => {
      if (answers[j] !== want) out.push(`${component} ${want ? 'missing' : 'must not have'}: ${describe(a)}`);
    });
  }
  return out;
}
