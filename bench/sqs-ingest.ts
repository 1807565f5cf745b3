// Benchmark: START_JOB → TranscodeJob latency (p50/p99) and sustained ingest rate with many clients.
// Starts a fresh environment (etcd, kube-apiserver, moto) and the real operator (its job lifecycle
// controller switched off so only the SQS path is measured), makes N clients Ready, then
//   1. latency: jobs sent one at a time round-robin over the clients at a steady rate; latency = time from
//      just before SendMessage to the job's ADDED event on a watch (one operator);
//   2. rate: every client sends a burst at once; rate = jobs / (last ADDED − first send), with 1 and with
//      2 operator replicas (every replica polls the input queues; one leads), alternated for --rounds
//      rounds; per variant the median rate, per replica the commands it handled, and the jobs created
//      (must equal the jobs sent: no duplicates).
//   node dist/bench/sqs-ingest.js [--clients 50] [--latency-jobs 200] [--rate 20] [--burst 20] [--replicas 1,2] [--rounds 2]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startEnvironment, envVars } from '../test/env/environment.js';
import { spawnManaged, freePort, waitFor } from '../test/env/process.js';
import { REPO_ROOT } from '../test/env/paths.js';
import { GROUP, VERSION } from '../lib/kube/resources.js';
import { jobName } from '../lib/ct/naming.js';
import { epochSeconds } from '../lib/ct/messages.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '50' },
    'latency-jobs': { type: 'string', default: '200' },
    rate: { type: 'string', default: '20' },
    burst: { type: 'string', default: '20' },
    replicas: { type: 'string', default: '1,2' },
    rounds: { type: 'string', default: '2' },
  },
});
const variants = values.replicas.split(',').map(Number);
const rounds = Number(values.rounds);
const nClients = Number(values.clients);
const latencyJobs = Number(values['latency-jobs']);
const rate = Number(values.rate);
const burst = Number(values.burst);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

const jobData = (i: number) => ({
  input_type: 'VIDEO',
  input_bucket: 'bench-in',
  input_file: `uploads/clip-${i}.mp4`,
  outputs: [{ output_type: 'VIDEO', output_bucket: 'bench-out', output_file: `out/${i}.mp4`, preset: '480p-16.9-generic' }],
});

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ct-bench-sqs-'));
  console.log(`starting environment in ${dir}`);
  const env = await startEnvironment(dir);
  const kc = new KubeConfig();
  kc.loadFromFile(env.info.kubeconfig);
  const ns = 'bench-sqs';
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  // Replicas of one deployment: the same lease, so one leads (clients, publisher) and every one ingests.
  const startOperator = async (id: string) => {
    const port = await freePort();
    const proc = spawnManaged(`operator-${id}`, process.execPath, [join(REPO_ROOT, 'dist', 'operator', 'main.js')], {
      logFile: join(dir, `operator-${id}.log`),
      env: {
        ...process.env,
        ...envVars(env.info),
        CT_HTTP_PORT: String(port),
        CT_HTTP_HOST: '127.0.0.1',
        CT_NAMESPACE: ns,
        CT_OPERATOR_ID: id,
        CT_LEASE_NAMESPACE: ns,
        CT_DISABLE: 'transcodejob',
        CT_SWF_ENABLED: 'false',
        LOG_LEVEL: 'warn',
      },
    });
    await waitFor(
      `operator ${id} up`,
      async () => ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok ? true : undefined),
      60_000,
    );
    return { id, port, proc };
  };
  const commandsHandled = async (port: number): Promise<number> =>
    (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())
      .split('\n')
      .filter((l) => l.startsWith('ct_sqs_commands_total{'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  const op = await startOperator('a');
  const port = op.port;
  const objects = kc.makeApiClient(CustomObjectsApi);
  const sqs = new SQSClient({
    region: env.info.awsRegion,
    endpoint: env.info.awsEndpoint,
    credentials: { accessKeyId: env.info.awsAccessKeyId, secretAccessKey: env.info.awsSecretAccessKey },
  });
  try {
    console.log(`creating ${nClients} clients`);
    const names = Array.from({ length: nClients }, (_, i) => `c${i}`);
    for (const name of names) {
      await objects.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: 'transcodeclients',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'TranscodeClient',
          metadata: { name },
          // The jobs name the shared bench buckets: entitled explicitly (docs/security-model.md).
          spec: { principal: '123456789012', buckets: { extraInputs: [{ name: 'bench-in' }], extraOutputs: [{ name: 'bench-out' }] } },
        },
      });
    }
    const inputs = new Map<string, string>();
    await waitFor(
      'all clients Ready',
      async () => {
        const list = (await objects.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: ns,
          plural: 'transcodeclients',
        })) as {
          items: {
            metadata: { name: string };
            status?: { queues?: { inputUrl?: string }; conditions?: { type: string; status: string }[] };
          }[];
        };
        for (const c of list.items) {
          const ready = c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
          if (ready && c.status?.queues?.inputUrl) inputs.set(c.metadata.name, c.status.queues.inputUrl);
        }
        return inputs.size === nClients ? true : undefined;
      },
      600_000,
      1000,
    );
    // Give the listener a moment to open a long poll on every queue.
    await new Promise((r) => setTimeout(r, 3000));

    const added = new Map<string, number>();
    // The watch is re-opened whenever it ends (apiserver timeouts, a loaded machine): jobs seen only
    // by the re-opened watch's initial ADDED events count from that moment (pessimistic, never lost).
    let watching = true;
    let current: AbortController | undefined;
    const openWatch = async (): Promise<void> => {
      current = await new Watch(kc).watch(
        `/apis/${GROUP}/${VERSION}/namespaces/${ns}/transcodejobs`,
        {},
        (type: string, obj: { metadata: { name: string } }) => {
          if (type === 'ADDED' && !added.has(obj.metadata.name)) added.set(obj.metadata.name, performance.now());
        },
        (err: unknown) => {
          if (err && (err as { type?: string }).type !== 'aborted') console.error('watch ended:', (err as Error).message);
          if (watching) setTimeout(() => void openWatch().catch((e: unknown) => console.error('re-opening the watch failed', e)), 200);
        },
      );
    };
    await openWatch();

    // 1. Latency at a steady rate.
    console.log(`latency: ${latencyJobs} jobs at ${rate}/s over ${nClients} clients`);
    const sent = new Map<string, number>();
    for (let i = 0; i < latencyJobs; i++) {
      const client = names[i % nClients]!;
      const id = `lat-${i}`;
      const at = performance.now();
      sent.set(jobName(client, id), at);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: inputs.get(client)!,
          MessageBody: JSON.stringify({ time: epochSeconds(), type: 'START_JOB', job_id: id, data: jobData(i) }),
        }),
      );
      const next = at + 1000 / rate;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await waitFor('latency jobs created', async () => ([...sent.keys()].every((k) => added.has(k)) ? true : undefined), 300_000, 100);
    const lat = [...sent].map(([k, t]) => added.get(k)! - t);

    // 2. Sustained rate: every client sends a burst at once; 1 vs 2 replicas, alternated.
    const total = burst * nClients;
    const burstRound = async (tag: string) => {
      const burstNames: string[] = [];
      const t0 = performance.now();
      await Promise.all(
        names.map(async (client) => {
          for (let b = 0; b < burst; b += 10) {
            const entries = [];
            for (let j = b; j < Math.min(burst, b + 10); j++) {
              const id = `${tag}-${j}`;
              burstNames.push(jobName(client, id));
              entries.push({
                Id: String(j),
                MessageBody: JSON.stringify({ time: epochSeconds(), type: 'START_JOB', job_id: id, data: jobData(j) }),
              });
            }
            await sqs.send(new SendMessageBatchCommand({ QueueUrl: inputs.get(client)!, Entries: entries }));
          }
        }),
      );
      const tSent = performance.now();
      await waitFor(`burst ${tag} created`, async () => (burstNames.every((k) => added.has(k)) ? true : undefined), 600_000, 100);
      const tLast = Math.max(...burstNames.map((k) => added.get(k)!));
      const lat = burstNames.map((k) => added.get(k)! - t0);
      return {
        sendMs: Math.round(tSent - t0),
        allCreatedMs: Math.round(tLast - t0),
        jobsPerSec: Math.round((total / ((tLast - t0) / 1000)) * 10) / 10,
        p50FromStartMs: Math.round(pct(lat, 50)),
        p99FromStartMs: Math.round(pct(lat, 99)),
      };
    };
    const runs: Record<number, { jobsPerSec: number; perReplica: number[]; run: Record<string, number> }[]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const n of variants) {
        const extra = [];
        for (let i = 1; i < n; i++) extra.push(await startOperator(`r${round}-${n}-${i}`));
        // The added replicas sync their caches and open a long poll on every queue.
        if (extra.length) await new Promise((r) => setTimeout(r, 5000));
        const all = [op, ...extra];
        const before = await Promise.all(all.map((o) => commandsHandled(o.port)));
        console.log(`rate: ${n} replica(s), round ${round + 1}: ${nClients} clients × ${burst} jobs sent at once (${total} jobs)`);
        const run = await burstRound(`b${round}-n${n}`);
        const after = await Promise.all(all.map((o) => commandsHandled(o.port)));
        for (const o of extra) await o.proc.stop();
        (runs[n] ??= []).push({ jobsPerSec: run.jobsPerSec, perReplica: after.map((x, i) => x - before[i]!), run });
        console.log(JSON.stringify({ replicas: n, round: round + 1, ...run, perReplica: runs[n]!.at(-1)!.perReplica }));
      }
    }
    const jobCount = (
      (await objects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: 'transcodejobs' })) as {
        items: unknown[];
      }
    ).items.length;
    watching = false;
    current?.abort();

    const rss = await fetch(`http://127.0.0.1:${port}/metrics`)
      .then((r) => r.text())
      .then(
        (t) =>
          t
            .split('\n')
            .find((l) => l.startsWith('ct_operator_process_resident_memory_bytes '))
            ?.split(' ')[1],
      );
    const result = {
      clients: nClients,
      latency: {
        jobs: latencyJobs,
        sendRatePerSec: rate,
        p50Ms: Math.round(pct(lat, 50)),
        p99Ms: Math.round(pct(lat, 99)),
        maxMs: Math.round(Math.max(...lat)),
      },
      burst: {
        jobsPerRun: total,
        rounds,
        byReplicas: Object.fromEntries(
          Object.entries(runs).map(([n, rs]) => [
            n,
            { medianJobsPerSec: median(rs.map((r) => r.jobsPerSec)), runs: rs.map((r) => ({ ...r.run, perReplica: r.perReplica })) },
          ]),
        ),
        ratio2vs1:
          runs[2] && runs[1]
            ? Math.round((median(runs[2].map((r) => r.jobsPerSec)) / median(runs[1].map((r) => r.jobsPerSec))) * 100) / 100
            : undefined,
        jobsCreated: jobCount,
        jobsSent: latencyJobs + total * rounds * variants.length,
      },
      operatorRssMiB: rss ? Math.round(Number(rss) / 1048576) : undefined,
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await op.proc.stop();
    await env.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
