// Benchmark P1 (issue 15): START_JOB sent on SQS → its task accepted by a runner, p50/p99 over N jobs,
// with the per-hop medians from each job's status.timing. A fresh environment (etcd, kube-apiserver,
// moto), the real operator and api-server as processes, one TranscodeClient, and a runner played in
// this process that asks for jobs the moment its socket says `available-jobs` and accepts every task
// (so the runner's own reaction is not what is measured). Jobs are sent one at a time: by default the
// next once the previous one's tasks are accepted (closed loop: latency, not queueing); with
// `--interval-ms N` every N ms whatever happens (open loop: they overlap when a dispatch takes longer).
//   node dist/bench/dispatch.js [--jobs 100] [--interval-ms 0] [--outputs 1] [--swf true]
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { io } from 'socket.io-client';
import { startEnvironment, envVars } from '../test/env/environment.js';
import { prepareComponents } from '../test/env/components.js';
import { waitFor } from '../test/env/process.js';
import { GROUP, VERSION } from '../lib/kube/resources.js';
import { s3Config } from '../lib/aws/config.js';
import { SOCKET } from '../lib/peertube/routes.js';
import { ALL_JOB_TYPES } from '../lib/peertube/job-types.js';
import type { TranscodeClientStatus } from '../lib/schema/transcode-client.js';
import type { TranscodeJob } from '../lib/schema/transcode-job.js';
import { ProtocolClient } from '../runner/protocol-client.js';
import { CtClient } from '../sdk/index.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '100' },
    'interval-ms': { type: 'string', default: '0' },
    outputs: { type: 'string', default: '1' },
    swf: { type: 'string', default: 'true' },
  },
});
const nJobs = Number(values.jobs);
const intervalMs = Number(values['interval-ms']);
const nOutputs = Number(values.outputs);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : NaN;
};
const ms = (a: string | number | undefined, b: string | number | undefined): number | undefined => {
  const x = typeof a === 'string' ? Date.parse(a) : a;
  const y = typeof b === 'string' ? Date.parse(b) : b;
  return x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y) ? undefined : y - x;
};

/** A runner that takes every task it is told about, as fast as the protocol allows. */
async function eagerRunner(apiUrl: string, registrationToken: string, accepted: Map<string, number>): Promise<() => void> {
  const api = new ProtocolClient(apiUrl);
  const { runnerToken } = await api.register({ registrationToken, name: 'bench-eager' });
  let running = false;
  let again = false;
  const take = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const jobs = await api.requestJobs(runnerToken, ALL_JOB_TYPES);
        await Promise.all(
          jobs.map(async (j) => {
            try {
              await api.accept(runnerToken, j.uuid);
              accepted.set(j.uuid, Date.now());
            } catch {
              // Taken meanwhile (or a conflict): the next ping lists what is left.
            }
          }),
        );
      } while (again);
    } finally {
      running = false;
    }
  };
  const socket = io(`${apiUrl}${SOCKET.namespace}`, { auth: { runnerToken }, transports: ['websocket'] });
  socket.on(SOCKET.availableJobs, () => void take());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return () => socket.close();
}

async function main(): Promise<void> {
  const keepAlive = setInterval(() => undefined, 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'ct-bench-dispatch-'));
  console.log(`bench dir ${dir}`);
  const env = await startEnvironment(dir);
  Object.assign(process.env, envVars(env.info));
  const kc = new KubeConfig();
  kc.loadFromFile(env.info.kubeconfig);
  const ns = 'bench-dispatch';
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  const components = await prepareComponents(env.info, {
    dir,
    namespace: ns,
    env: {
      CT_NAMESPACE: ns,
      CT_LEASE_NAMESPACE: ns,
      CT_SWF_DOMAIN: ns,
      CT_SWF_ENABLED: values.swf!,
      LOG_LEVEL: 'warn',
    },
  });
  const stop: (() => void)[] = [];
  try {
    await components.startOperator();
    await components.startApiServer();
    const objects = kc.makeApiClient(CustomObjectsApi);
    await objects.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: 'transcodeclients',
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'TranscodeClient',
        metadata: { name: 'bench' },
        // Accepted tasks are never finished here: every job keeps its slot.
        spec: { principal: '123456789012', limits: { maxConcurrentJobs: 10_000 } },
      },
    });
    const client = await waitFor(
      'TranscodeClient Ready',
      async () => {
        const c = (await objects.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: ns,
          plural: 'transcodeclients',
          name: 'bench',
        })) as { status?: TranscodeClientStatus };
        const ready = c.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True';
        return ready && c.status?.queues?.inputUrl && c.status.buckets?.input ? c.status : undefined;
      },
      120_000,
      300,
    );
    const input = client.buckets!.input!;
    const output = client.buckets!.output!;
    const clip = join(dir, 'clip.mp4');
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=2'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', clip],
    ]);
    await new S3Client(s3Config()).send(new PutObjectCommand({ Bucket: input, Key: 'in/clip.mp4', Body: readFileSync(clip) }));

    const accepted = new Map<string, number>();
    stop.push(await eagerRunner(components.apiUrl, components.registrationToken, accepted));
    const ct = new CtClient({ inputQueueUrl: client.queues!.inputUrl!, outputQueueUrl: client.queues!.outputUrl! });
    const sent = new Map<string, number>();
    const description = (i: number) => ({
      input_type: 'VIDEO' as const,
      input_bucket: input,
      input_file: 'in/clip.mp4',
      outputs: Array.from({ length: nOutputs }, (_, o) => ({
        output_type: 'THUMB' as const,
        mode: 'snapshot' as const,
        output_bucket: output,
        output_file: `out/${i}/t${o}.jpg`,
        size: '64x36',
      })),
    });
    // Warm-up (SWF registration, connections, JIT), not counted.
    const warm = await ct.startJob(description(-1), 'warmup');
    await waitFor('warm-up job accepted', async () => (accepted.size >= nOutputs ? true : undefined), 120_000, 50);
    accepted.clear();
    console.log(`warm-up done (${warm}); sending ${nJobs} jobs ${intervalMs} ms apart`);

    for (let i = 0; i < nJobs; i++) {
      const jobId = `d-${i}`;
      sent.set(jobId, Date.now());
      await ct.startJob(description(i), jobId);
      if (intervalMs > 0) await new Promise((r) => setTimeout(r, intervalMs));
      else {
        // Closed loop: the next job once this one's tasks are accepted (latency, not a queue, is measured).
        const want = (i + 1) * nOutputs;
        await waitFor(`job ${jobId} accepted`, async () => (accepted.size >= want ? true : undefined), 120_000, 5);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await waitFor('every task accepted', async () => (accepted.size >= nJobs * nOutputs ? true : undefined), 10 * 60_000, 100);

    const list = (await objects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: 'transcodejobs' })) as {
      items: TranscodeJob[];
    };
    const hops: Record<string, number[]> = {
      'sent → received': [],
      'received → admitted': [],
      'admitted → probed': [],
      'admitted → workflowStarted': [],
      'probed → planned': [],
      'planned → accepted': [],
    };
    const total: number[] = [];
    for (const job of list.items) {
      const t0 = sent.get(job.spec.jobId);
      if (t0 === undefined) continue;
      const first = Math.min(...(job.status?.tasks ?? []).map((t) => accepted.get(t.uuid) ?? Infinity));
      if (!Number.isFinite(first)) continue;
      total.push(first - t0);
      // Read loosely: the same file also measures a build from before status.timing existed (side by side).
      const t = (job.status as { timing?: Record<string, string> } | undefined)?.timing ?? {};
      const add = (name: string, v: number | undefined) => v !== undefined && hops[name]!.push(v);
      add('sent → received', ms(t0, t.received));
      add('received → admitted', ms(t.received, t.admitted));
      add('admitted → probed', ms(t.admitted, t.probed));
      add('admitted → workflowStarted', ms(t.admitted, t.workflowStarted));
      add('probed → planned', ms(t.probed, t.planned));
      add('planned → accepted', ms(t.planned, first));
    }
    const medians = Object.fromEntries(Object.entries(hops).map(([k, v]) => [k, { median: pct(v, 50), p99: pct(v, 99), n: v.length }]));
    const result = {
      jobs: total.length,
      intervalMs,
      outputsPerJob: nOutputs,
      swf: values.swf === 'true',
      startToAcceptedMs: { p50: pct(total, 50), p99: pct(total, 99), max: pct(total, 100) },
      targets: { p50: 100, p99: 300 },
      hops: medians,
    };
    console.log(
      `START_JOB → accepted over ${total.length} jobs: p50 ${result.startToAcceptedMs.p50} ms, p99 ${result.startToAcceptedMs.p99} ms`,
    );
    for (const [k, v] of Object.entries(medians)) console.log(`  ${k.padEnd(28)} median ${v.median} ms  p99 ${v.p99} ms  (n=${v.n})`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    for (const s of stop) s();
    await components.stop();
    await env.stop();
  }
  clearInterval(keepAlive);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
