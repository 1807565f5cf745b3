// Benchmarks of the job lifecycle (issue 5), each against a fresh environment (etcd, kube-apiserver, moto):
//   writes   — Kubernetes API writes by the job controller per job with k tasks (k THUMB outputs; the
//              runner/api-server part is played through the same CR transitions, with progress updates);
//   planning — jobs probed + planned per second with N jobs queued before the controller starts;
//   rss      — the real operator's RSS (dist/operator/main.js) with M TranscodeJobs in its caches.
// Runs the job controller in this process for writes/planning (its metrics are read directly).
//   node dist/bench/jobs-lifecycle.js [--mode writes|planning|rss|all] [--k 1,5,10] [--runs 3] [--jobs 1000] [--total 10000] [--swf true]
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { S3Client, CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SWFClient } from '@aws-sdk/client-swf';
import { startEnvironment, envVars, type Environment } from '../test/env/environment.js';
import { spawnManaged, freePort, waitFor } from '../test/env/process.js';
import { REPO_ROOT } from '../test/env/paths.js';
import { GROUP, VERSION, LABEL_CLIENT, LABEL_JOB_ID } from '../lib/kube/resources.js';
import { s3Config, clientConfig } from '../lib/aws/config.js';
import { createLogger } from '../lib/log.js';
import { updateStatus } from '../lib/kube/status.js';
import { acceptTask, updateTaskProgress, startCompleting, completeTask } from '../lib/peertube/task-state.js';
import type { TranscodeJob } from '../lib/schema/transcode-job.js';
import { Manager } from '../operator/runtime/index.js';
import { jobComponents } from '../operator/job/index.js';
import { jobKubeWrites, jobsPlanned } from '../operator/job/metrics.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'all' },
    k: { type: 'string', default: '1,5,10' },
    runs: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '1000' },
    total: { type: 'string', default: '10000' },
    swf: { type: 'string', default: 'true' },
  },
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function inBatches<T>(items: T[], size: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function counter(
  c: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> },
  labels?: Record<string, string>,
): Promise<number> {
  const v = await c.get();
  return v.values
    .filter((x) => !labels || Object.entries(labels).every(([k, val]) => x.labels[k] === val))
    .reduce((s, x) => s + x.value, 0);
}

interface Ctx {
  env: Environment;
  kc: KubeConfig;
  ns: string;
  s3: S3Client;
  objects: CustomObjectsApi;
}

async function setup(dir: string, name: string, maxConcurrentJobs: number): Promise<Ctx> {
  const env = await startEnvironment(join(dir, name));
  Object.assign(process.env, envVars(env.info));
  const kc = new KubeConfig();
  kc.loadFromFile(env.info.kubeconfig);
  const ns = 'bench';
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  const s3 = new S3Client(s3Config());
  await s3.send(new CreateBucketCommand({ Bucket: 'bench-in' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'bench-out' }));
  const clip = join(dir, 'clip.mp4');
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x180:rate=25:duration=2',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    clip,
  ]);
  await s3.send(new PutObjectCommand({ Bucket: 'bench-in', Key: 'clip.mp4', Body: readFileSync(clip) }));
  const objects = kc.makeApiClient(CustomObjectsApi);
  await objects.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: 'transcodeclients',
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'TranscodeClient',
      metadata: { name: 'c1' },
      spec: {
        principal: '*',
        buckets: { input: { name: 'bench-in', managed: false }, output: { name: 'bench-out', managed: false } },
        limits: { maxConcurrentJobs },
      },
    },
  });
  return { env, kc, ns, s3, objects };
}

function jobBody(name: string, k: number): Record<string, unknown> {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'TranscodeJob',
    // Labelled as the SQS listener labels its jobs (lib/ct/naming.ts): no label patch by the operator.
    metadata: { name, labels: { [LABEL_CLIENT]: 'c1', [LABEL_JOB_ID]: name } },
    spec: {
      clientRef: { name: 'c1' },
      jobId: name,
      job: {
        input_type: 'VIDEO',
        input_bucket: 'bench-in',
        input_file: 'clip.mp4',
        outputs: Array.from({ length: k }, (_, i) => ({
          output_type: 'THUMB',
          output_bucket: 'bench-out',
          output_file: `${name}/t${i}.jpg`,
          size: '64x36',
        })),
      },
    },
  };
}

function startOperator(c: Ctx, swf: boolean): Manager {
  const manager = new Manager({
    kc: c.kc,
    log: createLogger('bench'),
    component: 'bench',
    identity: 'bench',
    namespace: c.ns,
    resyncMs: 600_000,
  });
  const env = { ...process.env, CT_SWF_ENABLED: String(swf), CT_SWF_DOMAIN: `bench-${Date.now()}`, CT_SWF_POLL_BACKOFF_MS: '300' };
  const { controllers, runnables } = jobComponents(manager.context, { env, s3: c.s3, swf: new SWFClient(clientConfig()) });
  manager.add(...controllers).addRunnable(...runnables);
  void manager.start();
  return manager;
}

async function getJob(c: Ctx, name: string): Promise<TranscodeJob> {
  return (await c.objects.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: c.ns,
    plural: 'transcodejobs',
    name,
  })) as TranscodeJob;
}

async function until(c: Ctx, name: string, pred: (j: TranscodeJob) => boolean): Promise<TranscodeJob> {
  for (;;) {
    const j = await getJob(c, name);
    if (pred(j)) return j;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The runner + api-server part of one task: accept, 3 progress updates 1 s apart, completing, stored, completed. */
async function playTask(c: Ctx, job: string, uuid: string, placementPrefix: string): Promise<number> {
  let writes = 0;
  const tr = async (fn: (s: NonNullable<TranscodeJob['status']>) => boolean) => {
    await updateStatus<TranscodeJob>(c.kc, 'TranscodeJob', c.ns, job, (o) => fn(o.status!), { maxAttempts: 100 });
    writes += 1;
  };
  const hash = createHash('sha256').update(randomUUID()).digest('hex');
  await tr((s) => acceptTask(s, uuid, { name: 'bench-runner' }, hash, new Date().toISOString()).ok);
  for (const p of [25, 50, 75]) {
    await new Promise((r) => setTimeout(r, 1000));
    await tr((s) => updateTaskProgress(s, uuid, p, new Date().toISOString()).ok);
  }
  await tr((s) => startCompleting(s, uuid, new Date().toISOString()).ok);
  const j = await getJob(c, job);
  const t = j.status!.tasks!.find((x) => x.uuid === uuid)!;
  const key = `${placementPrefix}${(t.payload as { output: { fileName: string } }).output.fileName}`;
  await c.s3.send(new PutObjectCommand({ Bucket: 'bench-out', Key: key, Body: Buffer.alloc(1000) }));
  await tr((s) => completeTask(s, uuid, { bucket: 'bench-out', keys: [key], size: 1000 }, new Date().toISOString()).ok);
  return writes;
}

async function benchWrites(dir: string, ks: number[], runs: number, swf: boolean): Promise<Record<string, unknown>> {
  const c = await setup(dir, 'writes', 100);
  const manager = startOperator(c, swf);
  const out: Record<string, unknown> = {};
  try {
    for (const k of ks) {
      const perJob: number[] = [];
      let runnerWrites = 0;
      for (let r = 0; r < runs; r++) {
        const name = `w${k}-${r}`;
        const before = await counter(jobKubeWrites);
        await c.objects.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: c.ns,
          plural: 'transcodejobs',
          body: jobBody(name, k),
        });
        const planned = await until(
          c,
          name,
          (j) => (j.status?.tasks?.length ?? 0) === k && (!swf || j.status!.tasks!.every((t) => t.swf?.scheduled)),
        );
        const writes = await Promise.all(planned.status!.tasks!.map((t) => playTask(c, name, t.uuid, `${name}/`)));
        runnerWrites = writes.reduce((a, b) => a + b, 0);
        await until(c, name, (j) => j.status?.phase === 'Succeeded' && (!swf || !!j.status.workflow?.closed));
        await new Promise((res) => setTimeout(res, 1500)); // let trailing reconciles settle
        perJob.push((await counter(jobKubeWrites)) - before);
      }
      out[`k=${k}`] = { operatorWritesMedian: median(perJob), operatorWritesRuns: perJob, runnerSideWritesPerJob: runnerWrites };
      console.log(`writes k=${k}: operator ${JSON.stringify(perJob)} (median ${median(perJob)}), runner side ${runnerWrites}`);
    }
  } finally {
    await manager.stop();
    await c.env.stop();
  }
  return out;
}

async function benchPlanning(dir: string, n: number, runs: number, swf: boolean): Promise<Record<string, unknown>> {
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c = await setup(dir, `planning-${r}`, 10_000);
    try {
      const names = Array.from({ length: n }, (_, i) => `p${r}-${i}`);
      await inBatches(names, 20, (name) =>
        c.objects.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: c.ns,
          plural: 'transcodejobs',
          body: jobBody(name, 2),
        }),
      );
      const before = await counter(jobsPlanned);
      const t0 = Date.now();
      const manager = startOperator(c, swf);
      await waitFor(`${n} jobs planned`, async () => ((await counter(jobsPlanned)) - before >= n ? true : undefined), 30 * 60_000, 100);
      const secs = (Date.now() - t0) / 1000;
      await manager.stop();
      rates.push(n / secs);
      console.log(`planning run ${r}: ${n} jobs in ${secs.toFixed(1)} s = ${(n / secs).toFixed(1)} jobs/s`);
    } finally {
      await c.env.stop();
    }
  }
  return { jobs: n, swf, jobsPerSecondMedian: Number(median(rates).toFixed(1)), runs: rates.map((x) => Number(x.toFixed(1))) };
}

async function benchRss(dir: string, total: number): Promise<Record<string, unknown>> {
  const c = await setup(dir, 'rss', 10);
  try {
    const now = new Date().toISOString();
    const names = Array.from({ length: total }, (_, i) => `r-${i}`);
    const t0 = Date.now();
    await inBatches(names, 25, async (name) => {
      const created = (await c.objects.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: c.ns,
        plural: 'transcodejobs',
        body: jobBody(name, 3),
      })) as TranscodeJob;
      // A finished job as the operator leaves it: 3 tasks, outputs, workflow closed.
      created.status = {
        phase: 'Succeeded',
        progress: 100,
        workflow: { workflowId: `ct-${created.metadata.uid}`, runId: randomUUID().replace(/-/g, ''), closed: true },
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
              input: { videoFileUrl: `/api/v1/runners/jobs/${uuid}/files/videos/${created.metadata.uid}/max-quality` },
              output: { mode: 'snapshot', width: 64, height: 36, snapshotSec: 0, intervals: 10, fileName: `t${i}.jpg` },
            },
            inputs: { video: { bucket: 'bench-in', key: 'clip.mp4' } },
            placement: { bucket: 'bench-out', prefix: `${name}/` },
            failures: 0,
            progress: 100,
            createdAt: now,
            updatedAt: now,
            finishedAt: now,
            result: { bucket: 'bench-out', keys: [`${name}/t${i}.jpg`], size: 1000 },
            swf: { activityId: uuid, scheduled: true, closed: true },
          };
        }),
        outputs: [0, 1, 2].map((i) => ({
          index: i,
          type: 'THUMB',
          status: 'Succeeded' as const,
          bucket: 'bench-out',
          keys: [`${name}/t${i}.jpg`],
          size: 1000,
        })),
        completedAt: now,
        published: ['JOB_STARTED', 'JOB_COMPLETED'],
      };
      await c.objects.replaceNamespacedCustomObjectStatus({
        group: GROUP,
        version: VERSION,
        namespace: c.ns,
        plural: 'transcodejobs',
        name,
        body: created,
      });
    });
    console.log(`created ${total} jobs in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const port = await freePort();
    const op = spawnManaged('operator', process.execPath, [join(REPO_ROOT, 'dist', 'operator', 'main.js')], {
      logFile: join(dir, 'rss-operator.log'),
      env: {
        ...process.env,
        ...envVars(c.env.info),
        CT_HTTP_PORT: String(port),
        CT_LEADER_ELECTION: 'false',
        CT_NAMESPACE: c.ns,
        CT_SWF_DOMAIN: 'bench-rss',
        LOG_LEVEL: 'warn',
      },
    });
    const metric = async (name: string): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line ? Number(line.split(' ').pop()) : NaN;
    };
    console.log(`operator started (port ${port}); waiting for its caches`);
    await waitFor('operator caches hold every job', async () => ((await cachedJobs(port)) >= total ? true : undefined), 10 * 60_000, 1000);
    await new Promise((r) => setTimeout(r, 20_000));
    const rss: number[] = [];
    for (let i = 0; i < 5; i++) {
      rss.push((await metric('ct_operator_process_resident_memory_bytes')) / 1024 / 1024);
      await new Promise((r) => setTimeout(r, 2000));
    }
    const writes = await metric('ct_operator_job_kube_writes_total{write="status"}');
    await op.stop();
    return {
      jobs: total,
      medianRssMiB: Number(median(rss).toFixed(1)),
      samplesMiB: rss.map((x) => Number(x.toFixed(1))),
      jobStatusWritesAtStartup: Number.isNaN(writes) ? 0 : writes,
    };
  } finally {
    await c.env.stop();
  }
}

async function cachedJobs(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('ct_operator_informer_objects{') && l.includes('TranscodeJob'));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function main(): Promise<void> {
  // The environment's processes and timers are unref'd: keep this process alive until the results are in.
  const keepAlive = setInterval(() => undefined, 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'ct-bench-jobs-'));
  console.log(`bench dir ${dir}`);
  const mode = values.mode!;
  const swf = values.swf === 'true';
  const results: Record<string, unknown> = {};
  if (mode === 'writes' || mode === 'all')
    results['writes'] = await benchWrites(dir, values.k!.split(',').map(Number), Number(values.runs), swf);
  if (mode === 'planning' || mode === 'all') results['planning'] = await benchPlanning(dir, Number(values.jobs), Number(values.runs), swf);
  if (mode === 'rss' || mode === 'all') results['rss'] = await benchRss(dir, Number(values.total));
  console.log(JSON.stringify(results, null, 2));
  clearInterval(keepAlive);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
