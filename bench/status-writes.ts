// P5 (issue 15): TranscodeJob status writes and conflicts per job with k tasks and k runners updating
// progress every second, through the real api-server and the real operator (dist/), before
// (CT_STATUS_WRITES=replace: whole status + resourceVersion) and after (guarded JSON Patch) side by
// side in one run: one namespace per mode, each with its own operator and api-server process on the
// same etcd + kube-apiserver + moto; the jobs of the two modes alternate (ABAB, then BABA) so load
// and warm-up hit both alike. Counts come from the processes' /metrics (ct_kube_status_*,
// ct_operator_job_kube_writes_total) before and after each job.
//   npm run bench -- status-writes [--k 1,5,10,20] [--runs 3] [--updates 5] [--swf true]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { S3Client, CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startEnvironment, envVars, type Environment } from '../test/env/environment.js';
import { spawnManaged, freePort, waitFor, type ManagedProcess } from '../test/env/process.js';
import { REPO_ROOT } from '../test/env/paths.js';
import { API_VERSION, GROUP, VERSION, LABEL_CLIENT, LABEL_REGISTRATION_TOKEN } from '../lib/kube/resources.js';
import { s3Config } from '../lib/aws/config.js';
import type { TranscodeJob } from '../lib/schema/transcode-job.js';

const { values } = parseArgs({
  options: {
    k: { type: 'string', default: '1,5,10,20' },
    runs: { type: 'string', default: '3' },
    updates: { type: 'string', default: '5' },
    swf: { type: 'string', default: 'true' },
  },
});

const MODES = ['replace', 'patch'] as const;
type Mode = (typeof MODES)[number];
const TASK_TYPE = 'ct-thumbnails';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sum of a Prometheus counter's samples whose labels include `labels`. */
async function scrape(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

interface Side {
  mode: Mode;
  ns: string;
  apiUrl: string;
  operatorUrl: string;
  procs: ManagedProcess[];
  runnerTokens: string[];
  /** Accepts answered 409 for a task nobody else took (retried by the runner), since start. */
  lostAccepts: number;
  /** Runner calls answered 5xx (the server gave up on its write; the runner retries), since start. */
  failedCalls: number;
}

/** Conflicts by writer label, of both processes (operator writers prefixed `operator:`). */
async function conflictsByWriter(s: Side): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [who, url] of [
    ['operator', s.operatorUrl],
    ['api', s.apiUrl],
  ] as const) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const line of text.split('\n')) {
      const m = /^ct_kube_status_conflicts_total\{(.*)\} (\S+)$/.exec(line);
      const writer = m && m[1]!.includes('kind="TranscodeJob"') ? /writer="([^"]*)"/.exec(m[1]!)?.[1] : undefined;
      if (m && writer) out[`${who}:${writer}`] = (out[`${who}:${writer}`] ?? 0) + Number(m[2]);
    }
  }
  return out;
}

interface Counts {
  operatorWrites: number;
  operatorConflicts: number;
  apiWrites: number;
  apiConflicts: number;
  progressConflicts: number;
}

async function counts(s: Side): Promise<Counts> {
  const job = { kind: 'TranscodeJob' };
  return {
    operatorWrites: await scrape(s.operatorUrl, 'ct_operator_job_kube_writes_total'),
    operatorConflicts: await scrape(s.operatorUrl, 'ct_kube_status_conflicts_total', job),
    apiWrites: await scrape(s.apiUrl, 'ct_kube_status_writes_total', job),
    apiConflicts: await scrape(s.apiUrl, 'ct_kube_status_conflicts_total', job),
    progressConflicts: await scrape(s.apiUrl, 'ct_kube_status_conflicts_total', { ...job, writer: 'progress' }),
  };
}

const minus = (a: Counts, b: Counts): Counts =>
  Object.fromEntries(Object.keys(a).map((k) => [k, a[k as keyof Counts] - b[k as keyof Counts]])) as unknown as Counts;

async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function postForm(
  url: string,
  fields: Record<string, string>,
  file?: { field: string; name: string; data: Buffer },
): Promise<number> {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  if (file) f.append(file.field, new Blob([file.data], { type: 'image/jpeg' }), file.name);
  const res = await fetch(url, { method: 'POST', body: f });
  await res.arrayBuffer();
  return res.status;
}

async function startSide(env: Environment, kc: KubeConfig, dir: string, mode: Mode, swf: boolean, runners: number): Promise<Side> {
  const ns = `bench-${mode}`;
  const core = kc.makeApiClient(CoreV1Api);
  const objects = kc.makeApiClient(CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await objects.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: 'transcodeclients',
    body: {
      apiVersion: API_VERSION,
      kind: 'TranscodeClient',
      metadata: { name: 'c1' },
      spec: {
        principal: '*',
        buckets: { input: { name: 'bench-in', managed: false }, output: { name: 'bench-out', managed: false } },
        limits: { maxConcurrentJobs: 100 },
      },
    },
  });
  const regToken = `ptrrt-${randomUUID()}`;
  await core.createNamespacedSecret({
    namespace: ns,
    body: {
      metadata: { name: 'bench-token', labels: { [LABEL_REGISTRATION_TOKEN]: 'true' } },
      data: { tokenHash: Buffer.from(createHash('sha256').update(regToken).digest('hex')).toString('base64') },
    },
  });
  const common = { ...process.env, ...envVars(env.info), CT_NAMESPACE: ns, CT_STATUS_WRITES: mode, LOG_LEVEL: 'warn' };
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const api = spawnManaged(`api-server-${mode}`, process.execPath, [join(REPO_ROOT, 'dist', 'api-server', 'main.js')], {
    logFile: join(dir, `api-server-${mode}.log`),
    env: {
      ...common,
      CT_HTTP_PORT: String(apiPort),
      CT_HTTP_HOST: '127.0.0.1',
      CT_PUBLIC_URL: apiUrl,
      // One progress write per task per second: every runner update reaches the CR.
      CT_PROGRESS_WRITE_INTERVAL_MS: '1000',
    },
  });
  const opPort = await freePort();
  const operatorUrl = `http://127.0.0.1:${opPort}`;
  const op = spawnManaged(`operator-${mode}`, process.execPath, [join(REPO_ROOT, 'dist', 'operator', 'main.js')], {
    logFile: join(dir, `operator-${mode}.log`),
    env: {
      ...common,
      CT_HTTP_PORT: String(opPort),
      CT_LEADER_ELECTION: 'false',
      CT_SWF_ENABLED: String(swf),
      CT_SWF_DOMAIN: `bench-${mode}-${Date.now()}`,
      CT_SWF_POLL_BACKOFF_MS: '300',
    },
  });
  await waitFor(`api-server ${mode} ready`, async () => ((await fetch(`${apiUrl}/readyz`)).status === 200 ? true : undefined), 60_000);
  await waitFor(`operator ${mode} serving metrics`, async () => ((await fetch(`${operatorUrl}/metrics`)).ok ? true : undefined), 60_000);
  const runnerTokens: string[] = [];
  for (let i = 0; i < runners; i++) {
    const r = await waitFor(`runner ${i} registered (${mode})`, async () => {
      const res = await post(`${apiUrl}/api/v1/runners/register`, { registrationToken: regToken, name: `bench-${mode}-${i}` });
      return res.status === 200 ? (res.body as { runnerToken: string }) : undefined;
    });
    runnerTokens.push(r.runnerToken);
    // The runner announces its type once, so the operator sees a live runner for it.
    await post(`${apiUrl}/api/v1/runners/jobs/request`, { runnerToken: r.runnerToken, jobTypes: [TASK_TYPE] });
  }
  return { mode, ns, apiUrl, operatorUrl, procs: [api, op], runnerTokens, lostAccepts: 0, failedCalls: 0 };
}

function jobBody(name: string, k: number): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: 'TranscodeJob',
    metadata: { name, labels: { [LABEL_CLIENT]: 'c1' } },
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

async function getJob(objects: CustomObjectsApi, ns: string, name: string): Promise<TranscodeJob> {
  return (await objects.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: 'transcodejobs',
    name,
  })) as TranscodeJob;
}

/** One runner's life with one task: accept, `updates` progress updates 1 s apart, success with the image. */
async function runTask(s: Side, runnerToken: string, uuid: string, updates: number, image: Buffer): Promise<void> {
  const base = `${s.apiUrl}/api/v1/runners/jobs/${uuid}`;
  // A lost accept (409 not pending: the write kept conflicting though nobody took the task) is what a
  // runner retries after its next jobs/request; counted, then tried again.
  // A 5xx (the server gave up on its write) is retried the same way and counted as a failed call.
  let accepted = await post(`${base}/accept`, { runnerToken });
  for (let lost = 0; (accepted.status === 409 || accepted.status >= 500) && lost < 50; lost++) {
    if (accepted.status === 409) s.lostAccepts += 1;
    else s.failedCalls += 1;
    await sleep(100);
    accepted = await post(`${base}/accept`, { runnerToken });
  }
  if (accepted.status !== 200) throw new Error(`accept ${uuid} (${s.mode}): ${accepted.status} ${JSON.stringify(accepted.body)}`);
  const job = accepted.body.job as { jobToken: string; payload: { output: { fileName: string } } };
  for (let i = 1; i <= updates; i++) {
    await sleep(1000);
    const status = await postForm(`${base}/update`, {
      runnerToken,
      jobToken: job.jobToken,
      progress: String(Math.round((i / (updates + 1)) * 100)),
    });
    if (status !== 204) throw new Error(`update ${uuid} (${s.mode}): ${status}`);
  }
  const succeed = () =>
    postForm(
      `${base}/success`,
      { runnerToken, jobToken: job.jobToken },
      { field: 'payload[imageFiles]', name: job.payload.output.fileName, data: image },
    );
  let status = await succeed();
  for (let failed = 0; status >= 500 && failed < 20; failed++) {
    s.failedCalls += 1;
    await sleep(200);
    status = await succeed();
  }
  if (status !== 204) throw new Error(`success ${uuid} (${s.mode}): ${status}`);
}

interface JobResult extends Counts {
  seconds: number;
  lostAccepts: number;
  failedCalls: number;
  byWriter: Record<string, number>;
}

async function runJob(
  s: Side,
  objects: CustomObjectsApi,
  name: string,
  k: number,
  updates: number,
  swf: boolean,
  image: Buffer,
): Promise<JobResult> {
  const before = await counts(s);
  const byWriterBefore = await conflictsByWriter(s);
  const lostBefore = s.lostAccepts;
  const failedBefore = s.failedCalls;
  const t0 = Date.now();
  await objects.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: s.ns,
    plural: 'transcodejobs',
    body: jobBody(name, k),
  });
  const planned = await waitFor(
    `${name} planned`,
    async () => {
      const j = await getJob(objects, s.ns, name);
      return (j.status?.tasks?.length ?? 0) === k ? j : undefined;
    },
    120_000,
    100,
  );
  // Runner i takes task i (no accept races: this measures write contention, not task contention).
  const uuids = planned.status!.tasks!.map((t) => t.uuid);
  await Promise.all(uuids.map((u, i) => runTask(s, s.runnerTokens[i]!, u, updates, image)));
  await waitFor(
    `${name} succeeded`,
    async () => {
      const j = await getJob(objects, s.ns, name);
      if (j.status?.phase === 'Failed' || j.status?.phase === 'Canceled')
        throw new Error(`${name} ended ${j.status.phase}: ${j.status.message}`);
      return j.status?.phase === 'Succeeded' && (!swf || j.status.workflow?.closed) ? true : undefined;
    },
    300_000,
    100,
  );
  const seconds = (Date.now() - t0) / 1000;
  await sleep(1500); // trailing reconciles (SWF close, publisher) land
  const byWriter = Object.fromEntries(
    Object.entries(await conflictsByWriter(s))
      .map(([w, n]) => [w, n - (byWriterBefore[w] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
  return {
    ...minus(await counts(s), before),
    seconds,
    lostAccepts: s.lostAccepts - lostBefore,
    failedCalls: s.failedCalls - failedBefore,
    byWriter,
  };
}

async function main(): Promise<void> {
  const keepAlive = setInterval(() => undefined, 60_000);
  const ks = values.k!.split(',').map(Number);
  const runs = Number(values.runs);
  const updates = Number(values.updates);
  const swf = values.swf === 'true';
  const dir = mkdtempSync(join(tmpdir(), 'ct-bench-status-'));
  console.log(`bench dir ${dir}; k=${ks.join(',')} runs=${runs} updates=${updates} swf=${swf}`);
  const env = await startEnvironment(join(dir, 'env'));
  Object.assign(process.env, envVars(env.info));
  const kc = new KubeConfig();
  kc.loadFromFile(env.info.kubeconfig);
  const objects = kc.makeApiClient(CustomObjectsApi);
  const s3 = new S3Client(s3Config());
  await s3.send(new CreateBucketCommand({ Bucket: 'bench-in' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'bench-out' }));
  // The job input is only probed: a few bytes of any MP4 would do, but the probe wants a real one.
  const { execFileSync } = await import('node:child_process');
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
  const { readFileSync } = await import('node:fs');
  await s3.send(new PutObjectCommand({ Bucket: 'bench-in', Key: 'clip.mp4', Body: readFileSync(clip) }));
  const image = Buffer.alloc(2000, 0xff);
  const maxK = Math.max(...ks);
  const sides: Side[] = [];
  try {
    for (const mode of MODES) sides.push(await startSide(env, kc, dir, mode, swf, maxK));
    const results: Record<string, Record<Mode, JobResult[]>> = {};
    for (const k of ks) {
      results[k] = { replace: [], patch: [] };
      for (let r = 0; r < runs; r++) {
        const order = r % 2 ? [...sides].reverse() : sides;
        for (const s of order) {
          const res = await runJob(s, objects, `k${k}-r${r}`, k, updates, swf, image);
          results[k]![s.mode].push(res);
          console.log(`k=${k} run ${r} ${s.mode}: ${JSON.stringify(res)}`);
        }
      }
    }
    const table = [
      '| k | mode | operator writes/job | api-server writes/job | conflicts/job (operator + api-server) | of which progress | lost accepts/job | failed runner calls/job | job s |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ];
    const summary: Record<string, unknown> = {};
    for (const k of ks) {
      for (const mode of MODES) {
        const rs = results[k]![mode];
        const m = (f: (x: JobResult) => number) => median(rs.map(f));
        const row = {
          operatorWrites: m((x) => x.operatorWrites),
          apiWrites: m((x) => x.apiWrites),
          conflicts: m((x) => x.operatorConflicts + x.apiConflicts),
          operatorConflicts: m((x) => x.operatorConflicts),
          apiConflicts: m((x) => x.apiConflicts),
          progressConflicts: m((x) => x.progressConflicts),
          lostAccepts: m((x) => x.lostAccepts),
          failedCalls: m((x) => x.failedCalls),
          seconds: Number(m((x) => x.seconds).toFixed(1)),
          runs: rs.map((x) => ({ op: x.operatorWrites, api: x.apiWrites, conflicts: x.operatorConflicts + x.apiConflicts })),
        };
        summary[`k=${k} ${mode}`] = row;
        table.push(
          `| ${k} | ${mode === 'replace' ? 'before (replace+RV)' : 'after (JSON patch)'} | ${row.operatorWrites} | ${row.apiWrites} | ${row.conflicts} (${row.operatorConflicts} + ${row.apiConflicts}) | ${row.progressConflicts} | ${row.lostAccepts} | ${row.failedCalls} | ${row.seconds} |`,
        );
      }
    }
    console.log(JSON.stringify(summary, null, 2));
    console.log(
      `\nmedians of ${runs} runs per cell, ${updates} progress updates per task 1 s apart, SWF ${swf ? 'on' : 'off'}\n${table.join('\n')}`,
    );
  } finally {
    for (const s of sides) for (const p of s.procs) await p.stop();
    await env.stop();
    clearInterval(keepAlive);
  }
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
