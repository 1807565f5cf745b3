// The operator's watches survive a kube-apiserver restart: on a dedicated control plane (the shared one
// serves the other tests), stop and start the apiserver, then a client created afterwards still gets
// reconciled by the same operator process, which re-listed instead of going deaf.
import { mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
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
  const dir = join(info.dir, uniqueName('cp'));
  mkdirSync(dir, { recursive: true });
  cp = await startControlPlane({ dir });
  kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  await installCrds(kc);
  // A long lease: this test is about watches; losing the lease is leader-outage.test.ts.
  op = await startOperator(info, uniqueName('watch'), {
    KUBECONFIG: cp.kubeconfig,
    CT_LEASE_NAME: 'watch-test',
    CT_LEASE_DURATION_MS: '120000',
  });
}, 180_000);

afterAll(async () => {
  await op?.proc.stop();
  await cp?.stop();
});

function readyStatus(ns: string, name: string) {
  const api = kc.makeApiClient(CustomObjectsApi);
  return waitFor(
    `${ns}/${name} Ready`,
    async () => {
      const obj = (await api.getNamespacedCustomObject({
        group: 'cloudtranscode.io',
        version: 'v1alpha1',
        namespace: ns,
        plural: 'transcodeclients',
        name,
      })) as any;
      return obj.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True' ? obj : undefined;
    },
    90_000,
    300,
  );
}

async function createClient(ns: string, name: string) {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: 'cloudtranscode.io',
    version: 'v1alpha1',
    namespace: ns,
    plural: 'transcodeclients',
    body: { apiVersion: 'cloudtranscode.io/v1alpha1', kind: 'TranscodeClient', metadata: { name }, spec: { principal: '123456789012' } },
  });
}

test('a client created after an apiserver restart is reconciled by the same operator process', async () => {
  const ns = uniqueName('restart');
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  await waitFor('operator leads', async () => ((await readyz(op)).leader ? true : undefined), 30_000);
  await createClient(ns, 'before');
  await readyStatus(ns, 'before');

  await cp.stopApiserver();
  await new Promise((r) => setTimeout(r, 3000));
  await cp.startApiserver();

  await createClient(ns, 'after');
  const obj = await readyStatus(ns, 'after');
  expect(obj.status.queues.inputUrl).toMatch(new RegExp(`/ct-${ns}-after-input$`));
  expect(op.proc.child.exitCode).toBeNull(); // same process, not a restart

  // More traffic after the reconnect: connections to the apiserver are reused, not piling up.
  await Promise.all(Array.from({ length: 15 }, (_, i) => createClient(ns, `more-${i}`)));
  for (let i = 0; i < 15; i++) await readyStatus(ns, `more-${i}`);
  const nodePid = execFileSync('pgrep', ['-P', String(op.proc.pid)], { encoding: 'utf8' })
    .trim()
    .split('\n')[0];
  const apiPort = new URL(cp.server).port;
  const sockets = execFileSync('ss', ['-tnpH', 'state', 'established', 'dst', `127.0.0.1:${apiPort}`], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(`pid=${nodePid},`));
  expect(sockets.length).toBeGreaterThan(0); // the watches
  expect(sockets.length).toBeLessThanOrEqual(12);
  const metrics = await (await fetch(`http://127.0.0.1:${op.port}/metrics`)).text();
  expect(metrics).toMatch(/ct_operator_reconcile_total\{controller="transcodeclient",result="(success|requeue)"\} \d+/);
  expect(metrics).toContain('ct_operator_workqueue_depth{controller="transcodeclient"}');
  expect(metrics).toContain('ct_operator_leader 1');
});
