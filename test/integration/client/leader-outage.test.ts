// A kube-apiserver outage longer than the lease: the operator loses leadership, stops every controller
// before anything else, and campaigns again in the same process once the apiserver (restarted on the
// same etcd) is back, instead of exiting. A client created afterwards is reconciled by that process.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { installCrds } from '../../env/crds.js';
import { waitFor } from '../../env/process.js';
import { envInfo, uniqueName } from '../../helpers/env.js';
import { startOperator, readyz, type Operator } from './operator.js';

const info = envInfo();
let cp: ControlPlane;
let op: Operator;
let kc: KubeConfig;

beforeAll(async () => {
  const dir = join(info.dir, uniqueName('cp-lease'));
  mkdirSync(dir, { recursive: true });
  cp = await startControlPlane({ dir });
  kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  await installCrds(kc);
  // A 4 s lease (renew deadline ~2.7 s): a 15 s outage loses it for sure.
  op = await startOperator(info, uniqueName('lease'), {
    KUBECONFIG: cp.kubeconfig,
    CT_LEASE_NAME: 'outage-test',
    CT_LEASE_DURATION_MS: '4000',
  });
}, 180_000);

afterAll(async () => {
  await op?.proc.stop();
  await cp?.stop();
});

const api = () => kc.makeApiClient(CustomObjectsApi);
const ref = (namespace: string) => ({ group: 'cloudtranscode.io', version: 'v1alpha1', namespace, plural: 'transcodeclients' });

async function ready(ns: string, name: string): Promise<void> {
  await waitFor(
    `${ns}/${name} Ready`,
    async () => {
      const obj = (await api().getNamespacedCustomObject({ ...ref(ns), name })) as any;
      return obj.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True' ? true : undefined;
    },
    90_000,
    300,
  );
}

const create = (ns: string, name: string) =>
  api().createNamespacedCustomObject({
    ...ref(ns),
    body: { apiVersion: 'cloudtranscode.io/v1alpha1', kind: 'TranscodeClient', metadata: { name }, spec: { principal: '123456789012' } },
  });

function logLines(): { msg: string; controller?: string }[] {
  return readFileSync(op.proc.logFile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; controller?: string });
}

test('a 15 s kube-apiserver outage: controllers stopped first, leadership regained in the same process', async () => {
  const ns = uniqueName('lease');
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  await waitFor('operator leads', async () => ((await readyz(op)).leader ? true : undefined), 30_000);
  await create(ns, 'before');
  await ready(ns, 'before');

  await cp.stopApiserver();
  await waitFor('the operator to notice the lost lease', async () => ((await readyz(op)).leader ? undefined : true), 30_000, 200);
  await new Promise((r) => setTimeout(r, 15_000));
  expect(op.proc.child.exitCode).toBeNull();
  await cp.startApiserver();

  await waitFor('operator leads again', async () => ((await readyz(op)).leader ? true : undefined), 60_000, 300);
  await create(ns, 'after');
  await ready(ns, 'after');
  // Still alive a while later: no delayed exit after re-acquiring the lease.
  await new Promise((r) => setTimeout(r, 8000));
  expect(op.proc.child.exitCode).toBeNull();
  expect((await readyz(op)).leader).toBe(true);

  const lines = logLines();
  const msgs = lines.map((l) => l.msg);
  const lost = msgs.indexOf('lost leadership (could not renew the lease in time)');
  expect(lost).toBeGreaterThan(0);
  const stopped = msgs.indexOf('stopped leading: every controller and runnable stopped; campaigning for the lease again', lost);
  expect(stopped).toBeGreaterThan(lost);
  const regained = msgs.indexOf('became leader', lost);
  expect(regained).toBeGreaterThan(stopped);
  // Every controller that was running stopped between losing and regaining the lease, none started.
  const between = lines.slice(lost, regained);
  const started = lines
    .slice(0, lost)
    .filter((l) => l.msg === 'controller started')
    .map((l) => l.controller);
  expect(
    between
      .filter((l) => l.msg === 'controller stopped')
      .map((l) => l.controller)
      .sort(),
  ).toEqual([...started].sort());
  expect(between.some((l) => l.msg === 'controller started')).toBe(false);
  expect(started.length).toBeGreaterThan(0);
});
