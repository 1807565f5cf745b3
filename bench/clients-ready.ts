// Benchmark: time for N TranscodeClients to become Ready (median of runs), and the operator's RSS once
// it manages M clients. Starts a fresh environment (etcd, kube-apiserver, moto) and the real operator.
//   node dist/bench/clients-ready.js [--clients 200] [--runs 3] [--total 1000] [--concurrency 8] [--disable name,...]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { startEnvironment, envVars } from '../test/env/environment.js';
import { spawnManaged, freePort, waitFor } from '../test/env/process.js';
import { REPO_ROOT } from '../test/env/paths.js';
import { GROUP, VERSION } from '../lib/kube/resources.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    total: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '8' },
    // e.g. --disable sqs-listener to measure the client controller alone (CT_DISABLE of the operator)
    disable: { type: 'string', default: '' },
  },
});
const perRun = Number(values.clients);
const runs = Number(values.runs);
const total = Number(values.total);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function inBatches<T>(items: T[], size: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ct-bench-'));
  console.log(`starting environment in ${dir}`);
  const env = await startEnvironment(dir);
  const kc = new KubeConfig();
  kc.loadFromFile(env.info.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const objects = kc.makeApiClient(CustomObjectsApi);
  const port = await freePort();
  const op = spawnManaged('operator', process.execPath, [join(REPO_ROOT, 'dist', 'operator', 'main.js')], {
    logFile: join(dir, 'operator.log'),
    env: {
      ...process.env,
      ...envVars(env.info),
      CT_HTTP_PORT: String(port),
      CT_HTTP_HOST: '127.0.0.1',
      CT_CLIENT_CONCURRENCY: values.concurrency,
      LOG_LEVEL: 'warn',
    },
  });
  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : NaN;
  };
  await waitFor('operator leader', async () => ((await metric('ct_operator_leader').catch(() => 0)) === 1 ? true : undefined), 60_000);

  const createClients = async (ns: string, n: number) => {
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await inBatches(
      Array.from({ length: n }, (_, i) => `client-${i}`),
      20,
      (name) =>
        objects.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: ns,
          plural: 'transcodeclients',
          body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'TranscodeClient', metadata: { name }, spec: { principal: '123456789012' } },
        }),
    );
  };
  const readyCount = async (ns: string) => {
    const list = (await objects.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: 'transcodeclients',
    })) as {
      items: { status?: { conditions?: { type: string; status: string }[] } }[];
    };
    return list.items.filter((c) => c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).length;
  };
  const waitAllReady = (ns: string, n: number) =>
    waitFor(`${n} clients Ready in ${ns}`, async () => ((await readyCount(ns)) === n ? true : undefined), 1_800_000, 500);

  const times: number[] = [];
  let created = 0;
  for (let r = 0; r < runs; r++) {
    const ns = `bench-ready-${r}`;
    const t0 = Date.now();
    await createClients(ns, perRun);
    await waitAllReady(ns, perRun);
    const s = (Date.now() - t0) / 1000;
    created += perRun;
    times.push(s);
    console.log(`run ${r + 1}: ${perRun} clients created and Ready in ${s.toFixed(1)} s`);
  }
  if (total > created) {
    const ns = 'bench-fill';
    const t0 = Date.now();
    await createClients(ns, total - created);
    await waitAllReady(ns, total - created);
    console.log(`filled up to ${total} clients (${total - created} more Ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  // Let the work queue drain and GC settle, then sample RSS.
  await new Promise((r) => setTimeout(r, 10_000));
  const rss: number[] = [];
  for (let i = 0; i < 5; i++) {
    rss.push((await metric('ct_operator_process_resident_memory_bytes')) / 1024 / 1024);
    await new Promise((r) => setTimeout(r, 2000));
  }
  const heap = (await metric('ct_operator_nodejs_heap_size_used_bytes')) / 1024 / 1024;
  console.log(
    JSON.stringify({
      clientsPerRun: perRun,
      runs: times.map((t) => Number(t.toFixed(1))),
      medianSecondsToReady: Number(median(times).toFixed(1)),
      totalClients: Math.max(total, created),
      medianRssMiB: Number(median(rss).toFixed(1)),
      heapUsedMiB: Number(heap.toFixed(1)),
    }),
  );
  await op.stop();
  await env.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
