// Benchmark P4: memory with many jobs, and bounded etcd with job retention. Starts a fresh environment
// (etcd, kube-apiserver, moto), the real api-server and the real operator (job lifecycle switched off:
// the jobs are written finished, as the operator leaves them; SWF off), then
//   1. live: N finished jobs (3 tasks each) that a long TTL keeps → operator and api-server RSS (median
//      of 5 samples once every cache holds them);
//   2. churn: jobs of a second client with a short TTL (default 60 s) created at a steady rate for M
//      minutes; every 30 s: live jobs, etcd db size (file and in use), operator and api-server RSS. The
//      retention controller writes each job's record to the client's output bucket and deletes it.
//   node dist/bench/retention.js [--live 10000] [--rate 20] [--minutes 8] [--ttl 60]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { s3Config } from '../lib/aws/config.js';
import { envVars } from '../test/env/environment.js';
import { spawnManaged, freePort, waitFor } from '../test/env/process.js';
import { REPO_ROOT } from '../test/env/paths.js';
import { GROUP, VERSION, LABEL_CLIENT } from '../lib/kube/resources.js';
import type { TranscodeJob } from '../lib/schema/transcode-job.js';
import { apiRssBytes, startBenchEnv } from './api-common.js';

const { values } = parseArgs({
  options: {
    live: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '20' },
    minutes: { type: 'string', default: '8' },
    ttl: { type: 'string', default: '60' },
  },
});
const nLive = Number(values.live);
const rate = Number(values.rate);
const minutes = Number(values.minutes);
const ttl = Number(values.ttl);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ref = (ns: string) => ({ group: GROUP, version: VERSION, namespace: ns, plural: 'transcodejobs' });

function jobBody(client: string, name: string): Record<string, unknown> {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'TranscodeJob',
    metadata: { name, labels: { [LABEL_CLIENT]: client } },
    spec: {
      clientRef: { name: client },
      jobId: name,
      source: 'sqs',
      job: {
        input_type: 'VIDEO',
        input_bucket: 'bench-in',
        input_file: 'clip.mp4',
        outputs: [0, 1, 2].map((i) => ({
          output_type: 'THUMB',
          output_bucket: `${client}-out`,
          output_file: `${name}/t${i}.jpg`,
          size: '64x36',
        })),
      },
    },
  };
}

/** A finished job as the operator leaves it: 3 tasks, outputs, every message published. */
function finishedStatus(job: TranscodeJob, client: string): TranscodeJob['status'] {
  const now = new Date().toISOString();
  const name = job.metadata.name!;
  return {
    phase: 'Succeeded',
    progress: 100,
    probe: { duration: 2, video: { codec: 'h264', width: 320, height: 180, fps: 25 } },
    tasks: [0, 1, 2].map((i) => {
      const uuid = randomUUID();
      return {
        uuid,
        type: 'ct-thumbnails',
        name: `output ${i} THUMB`,
        outputIndex: i,
        state: 3,
        priority: 100,
        payload: {
          input: { videoFileUrl: `/api/v1/runners/jobs/${uuid}/files/videos/${job.metadata.uid}/max-quality` },
          output: { mode: 'snapshot', width: 64, height: 36, snapshotSec: 0, intervals: 10, fileName: `t${i}.jpg` },
        },
        inputs: { video: { bucket: 'bench-in', key: 'clip.mp4' } },
        placement: { bucket: `${client}-out`, prefix: `${name}/` },
        failures: 0,
        progress: 100,
        createdAt: now,
        updatedAt: now,
        finishedAt: now,
        result: { bucket: `${client}-out`, keys: [`${name}/t${i}.jpg`], size: 1000 },
      };
    }),
    outputs: [0, 1, 2].map((i) => ({
      index: i,
      type: 'THUMB',
      status: 'Succeeded' as const,
      bucket: `${client}-out`,
      keys: [`${name}/t${i}.jpg`],
      size: 1000,
    })),
    completedAt: now,
    published: ['job:started', 'validate:started', 'validate:completed', 'job:end'],
  };
}

async function createFinished(objects: CustomObjectsApi, ns: string, client: string, name: string): Promise<void> {
  const created = (await objects.createNamespacedCustomObject({ ...ref(ns), body: jobBody(client, name) })) as TranscodeJob;
  created.status = finishedStatus(created, client);
  await objects.replaceNamespacedCustomObjectStatus({ ...ref(ns), name, body: created });
}

/** etcd's client URL, from its command line (the test environment does not expose it; it logs only warnings). */
function etcdUrl(dir: string): string {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!args.includes(`--data-dir=${join(dir, 'etcd')}`)) continue;
    const url = args.find((a) => a.startsWith('--listen-client-urls='))?.split('=')[1];
    if (url) return url;
  }
  throw new Error(`no etcd process with data dir ${join(dir, 'etcd')}`);
}

async function promValue(url: string, name: string, match = ''): Promise<number> {
  const text = await (await fetch(url)).text();
  const line = text.split('\n').find((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && l.includes(match));
  return line ? Number(line.split(' ').pop()) : NaN;
}

async function main(): Promise<void> {
  const b = await startBenchEnv();
  const dir = b.env.info.dir;
  const ns = b.namespace;
  const objects = b.kc.makeApiClient(CustomObjectsApi);
  const s3 = new S3Client(s3Config());
  const etcd = etcdUrl(dir);
  const port = await freePort();
  try {
    for (const bucket of ['bench-in', 'keep-out', 'churn-out']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const [name, spec] of [
      ['keep', {}],
      ['churn', { jobRetention: { ttlSecondsAfterFinished: ttl } }],
    ] as const) {
      await objects.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: 'transcodeclients',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'TranscodeClient',
          metadata: { name },
          spec: {
            principal: '*',
            buckets: { input: { name: 'bench-in', managed: false }, output: { name: `${name}-out`, managed: false } },
            ...spec,
          },
        },
      });
    }
    // 1. Live jobs.
    const t0 = Date.now();
    const names = Array.from({ length: nLive }, (_, i) => `live-${i}`);
    // A pool of writers (not batches that wait for their slowest); the operator starts afterwards and lists them.
    let next = 0;
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        while (next < names.length) await createFinished(objects, ns, 'keep', names[next++]!);
      }),
    );
    console.log(`created ${nLive} live jobs in ${Math.round((Date.now() - t0) / 1000)} s`);
    const op = spawnManaged('operator', process.execPath, [join(REPO_ROOT, 'dist', 'operator', 'main.js')], {
      logFile: join(dir, 'operator.log'),
      env: {
        ...process.env,
        ...envVars(b.env.info),
        CT_HTTP_PORT: String(port),
        CT_HTTP_HOST: '127.0.0.1',
        CT_LEADER_ELECTION: 'false',
        CT_NAMESPACE: ns,
        CT_DISABLE: 'transcodejob,sqs-listener',
        CT_SWF_ENABLED: 'false',
        CT_JOB_RECORD_SETTLE_SECONDS: '1',
        LOG_LEVEL: 'warn',
      },
    });
    const opMetrics = `http://127.0.0.1:${port}/metrics`;
    await waitFor('operator up', async () => ((await fetch(opMetrics).catch(() => undefined))?.ok ? true : undefined), 60_000);

    await waitFor(
      'operator cache holds every job',
      async () => ((await promValue(opMetrics, 'ct_operator_informer_objects', 'TranscodeJob')) >= nLive ? true : undefined),
      10 * 60_000,
      1000,
    );
    await sleep(20_000);
    const opRss: number[] = [];
    const apiRss: number[] = [];
    for (let i = 0; i < 5; i++) {
      opRss.push(await promValue(opMetrics, 'ct_operator_process_resident_memory_bytes'));
      apiRss.push(await apiRssBytes(b.url));
      await sleep(2000);
    }
    const live = { jobs: nLive, operatorRssMiB: mib(median(opRss)), apiServerRssMiB: mib(median(apiRss)) };
    console.log(JSON.stringify({ live }));

    // 2. Churn with a short TTL.
    const samples: Record<string, number>[] = [];
    const sample = async (sent: number) => {
      const s = {
        atS: Math.round((Date.now() - tChurn) / 1000),
        sent,
        deleted: (await promValue(opMetrics, 'ct_operator_jobs_deleted_total')) || 0,
        churnJobsLive: (
          (await objects.listNamespacedCustomObject({ ...ref(ns), labelSelector: `${LABEL_CLIENT}=churn` })) as { items: unknown[] }
        ).items.length,
        etcdDbFileMiB: mib(statSync(join(dir, 'etcd', 'member', 'snap', 'db')).size),
        etcdInUseMiB: mib(await promValue(`${etcd}/metrics`, 'etcd_mvcc_db_total_size_in_use_in_bytes')),
        etcdKeys: await promValue(`${etcd}/metrics`, 'etcd_debugging_mvcc_keys_total'),
        operatorRssMiB: mib(await promValue(opMetrics, 'ct_operator_process_resident_memory_bytes')),
        apiServerRssMiB: mib(await apiRssBytes(b.url)),
      };
      samples.push(s);
      console.log(JSON.stringify(s));
    };
    const tChurn = Date.now();
    const end = tChurn + minutes * 60_000;
    let sent = 0;
    let nextSample = tChurn;
    const inFlight = new Set<Promise<void>>();
    while (Date.now() < end) {
      if (Date.now() >= nextSample) {
        await sample(sent);
        nextSample += 30_000;
      }
      const due = Math.floor(((Date.now() - tChurn) / 1000) * rate);
      while (sent < due && inFlight.size < 50) {
        const p = createFinished(objects, ns, 'churn', `churn-${sent++}`).catch((err: unknown) => console.error('create failed', err));
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      await sleep(20);
    }
    await Promise.all(inFlight);
    await sample(sent);
    // Drain: every churned job must go (TTL + settle + lag).
    await waitFor(
      'churned jobs deleted',
      async () =>
        ((await objects.listNamespacedCustomObject({ ...ref(ns), labelSelector: `${LABEL_CLIENT}=churn` })) as { items: unknown[] }).items
          .length === 0
          ? true
          : undefined,
      10 * 60_000,
      2000,
    );
    await sample(sent);
    const steady = samples.filter((s) => s.atS! >= ttl + 30);
    const result = {
      live,
      churn: {
        ttlSeconds: ttl,
        ratePerSec: rate,
        minutes,
        jobsThrough: sent,
        achievedRatePerSec: Math.round((sent / ((Date.now() - tChurn) / 1000)) * 10) / 10,
        steadyState: steady.length
          ? {
              churnJobsLive: [Math.min(...steady.map((s) => s.churnJobsLive!)), Math.max(...steady.map((s) => s.churnJobsLive!))],
              etcdInUseMiB: [Math.min(...steady.map((s) => s.etcdInUseMiB!)), Math.max(...steady.map((s) => s.etcdInUseMiB!))],
              etcdKeys: [Math.min(...steady.map((s) => s.etcdKeys!)), Math.max(...steady.map((s) => s.etcdKeys!))],
              etcdDbFileMiB: [Math.min(...steady.map((s) => s.etcdDbFileMiB!)), Math.max(...steady.map((s) => s.etcdDbFileMiB!))],
              operatorRssMiB: [Math.min(...steady.map((s) => s.operatorRssMiB!)), Math.max(...steady.map((s) => s.operatorRssMiB!))],
              apiServerRssMiB: [Math.min(...steady.map((s) => s.apiServerRssMiB!)), Math.max(...steady.map((s) => s.apiServerRssMiB!))],
            }
          : undefined,
        last: samples[samples.length - 1],
      },
    };
    console.log(JSON.stringify(result, null, 2));
    await op.stop();
  } finally {
    await b.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
