// Fault injection (issue 13): ~10 jobs in flight on a stack of its own (a dedicated etcd +
// kube-apiserver, the shared moto), and kill -9 in turn: the operator, the api-server (kept down for
// 10 s, longer than the old 6 s success retry), a runner mid-ffmpeg, and the kube-apiserver (restarted
// on the same etcd after 15 s). Components that die are restarted like Deployments (keep-alive).
// Every job ends with exactly one end message and its outputs in S3; no task is redone except those
// of the killed runner; no ffmpeg is left behind.
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CtClient } from '../../sdk/index.js';
import type { AnyCtMessage } from '../../lib/ct/messages.js';
import { s3Config } from '../../lib/aws/config.js';
import { startControlPlane, type ControlPlane } from '../env/control-plane.js';
import { installCrds } from '../env/crds.js';
import { prepareComponents } from '../env/components.js';
import { keepAlive, type KeepAlive } from '../env/keep-alive.js';
import { waitFor, type ManagedProcess } from '../env/process.js';
import { generateClip } from '../helpers/media.js';
import { useTestEnvironment, uniqueName } from '../helpers/env.js';
import { readyClient, listJobs, putFile, type Stack } from '../helpers/stack.js';

const JOBS = 10;
const END_TYPES = ['JOB_COMPLETED', 'JOB_FAILED', 'JOB_CANCELED'];
let cp: ControlPlane;
let stack: Stack;
const kept: Record<string, KeepAlive> = {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const events: string[] = [];
const note = (e: string) => events.push(`${new Date().toISOString()} ${e}`);

beforeAll(async () => {
  const info = useTestEnvironment();
  const ns = uniqueName('faults');
  const dir = join(info.dir, ns);
  mkdirSync(dir, { recursive: true });
  cp = await startControlPlane({ dir: join(dir, 'cp') });
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  await installCrds(kc);
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  const own = { ...info, kubeconfig: cp.kubeconfig, server: cp.server, token: cp.token, caFile: cp.caFile };
  const components = await prepareComponents(own, {
    dir,
    namespace: ns,
    env: {
      CT_NAMESPACE: ns,
      CT_LEASE_NAMESPACE: ns,
      CT_SWF_DOMAIN: ns,
      // Longer than each outage below (so only the killed runner's task is taken back), short enough
      // for that task to be redone within the suite.
      CT_STALL_SECONDS: '60',
      CT_LEASE_DURATION_MS: '4000',
    },
  });
  stack = { ns, dir, kc, objects: kc.makeApiClient(CustomObjectsApi), s3: new S3Client(s3Config()), components };
  let apiKills = 0;
  kept['operator'] = keepAlive('operator', () => components.startOperator(), await components.startOperator(), note);
  kept['api-server'] = keepAlive(
    'api-server',
    async () => {
      // The first restart waits: an api-server outage longer than the old 6 s success retry.
      if (apiKills++ === 0) await sleep(10_000);
      return (await components.startApiServer()).proc;
    },
    (await components.startApiServer()).proc,
    note,
  );
  const runnerEnv = {
    CT_RUNNER_CONCURRENCY: '2',
    CT_RUNNER_FFMPEG_THREADS: '1',
    CT_RUNNER_SUCCESS_RETRY: '180',
    CT_RUNNER_MAX_BACKOFF: '5',
  };
  for (const name of ['fi-a', 'fi-b']) {
    kept[name] = keepAlive(name, () => components.startRunner(name, runnerEnv), components.startRunner(name, runnerEnv), note);
  }
}, 300_000);

afterAll(async () => {
  for (const k of Object.values(kept)) k.release();
  await stack?.components.stop();
  await cp?.stop();
  if (events.length) process.stdout.write(`[fault-injection]\n${events.join('\n')}\n`);
});

/** The node process under a supervisor. */
function childPid(supervisor: ManagedProcess, pattern: string): number {
  return Number(
    execFileSync('pgrep', ['-P', String(supervisor.pid), '-f', pattern], { encoding: 'utf8' })
      .trim()
      .split('\n')[0],
  );
}

function ffmpegOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-x', 'ffmpeg'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  try {
    return existsSync(stat) && readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

async function tasks() {
  return (await listJobs(stack)).flatMap((j) => (j.status?.tasks ?? []).map((t) => ({ job: j.spec.jobId, ...t })));
}

test(
  'kill -9 of operator, api-server, a runner mid-ffmpeg and the kube-apiserver: every job ends once, nothing redone, no ffmpeg left',
  async () => {
    const { queues, buckets } = await readyClient(stack, 'fi');
    const clip = await generateClip(join(stack.dir, 'clip.mp4'), { durationSec: 10, width: 854, height: 480, fps: 25 });
    await putFile(stack, buckets.input!, 'in/clip.mp4', clip);
    const client = new CtClient({ inputQueueUrl: queues.inputUrl!, outputQueueUrl: queues.outputUrl! });
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      ids.push(
        await client.startJob({
          input_type: 'VIDEO',
          input_bucket: buckets.input!,
          input_file: 'in/clip.mp4',
          outputs: [
            { output_type: 'VIDEO', output_bucket: buckets.output!, output_file: `fi/${i}/v.mp4`, preset: '360p-16.9-generic' },
            { output_type: 'VIDEO', output_bucket: buckets.output!, output_file: `fi/${i}/s.mp4`, preset: '480p-16.9-generic' },
            { output_type: 'THUMB', output_bucket: buckets.output!, output_file: `fi/${i}/t.jpg`, size: '160x90', snapshot_sec: 1 },
          ],
        }),
      );
    }
    // One reader for every message of the client: by job, in order.
    const byJob = new Map<string, AnyCtMessage[]>(ids.map((id) => [id, []]));
    const reading = new AbortController();
    const reader = (async () => {
      for await (const m of client.messages({ waitSeconds: 2, signal: reading.signal })) byJob.get(m.job_id ?? '')?.push(m);
    })().catch(() => undefined);
    const ended = () => ids.filter((id) => byJob.get(id)!.some((m) => END_TYPES.includes(m.type))).length;

    const processing = () =>
      waitFor('a task in processing', async () => ((await tasks()).some((t) => t.state === 2) ? true : undefined), 180_000, 300);

    // 1. The operator.
    await processing();
    const op = kept['operator']!.current();
    process.kill(childPid(op, 'dist/operator/main.js'), 'SIGKILL');
    note('killed operator');
    await waitFor('operator restarted', async () => (kept['operator']!.restarts() >= 1 ? true : undefined), 120_000, 300);

    // 2. The api-server (down ~10 s + start-up), when a task is far enough along to finish meanwhile.
    await waitFor(
      'a task half done',
      async () => ((await tasks()).some((t) => t.state === 2 && (t.progress ?? 0) >= 50) ? true : undefined),
      180_000,
      200,
    );
    process.kill(childPid(kept['api-server']!.current(), 'dist/api-server/main.js'), 'SIGKILL');
    note('killed api-server');
    await waitFor('api-server restarted', async () => (kept['api-server']!.restarts() >= 1 ? true : undefined), 120_000, 300);
    // Runners report again before the next fault: outages back to back must not add up past the stall time.
    await sleep(8000);

    // 3. A runner mid-ffmpeg: no ffmpeg may survive it.
    const victim = await waitFor(
      'a runner running ffmpeg',
      async () => {
        for (const name of ['fi-a', 'fi-b']) {
          const pid = childPid(kept[name]!.current(), 'dist/runner/main.js');
          const encoders = ffmpegOf(pid);
          if (encoders.length) return { name, pid, encoders };
        }
        return undefined;
      },
      180_000,
      100,
    );
    const victimTasks = new Set((await tasks()).filter((t) => t.state === 2 && t.runner?.name === victim.name).map((t) => t.uuid));
    process.kill(victim.pid, 'SIGKILL');
    note(`killed runner ${victim.name} with ffmpeg ${victim.encoders.join(',')}`);
    await waitFor('the killed runner ffmpeg gone', async () => (victim.encoders.some(alive) ? undefined : true), 5000, 100);

    // 4. The kube-apiserver, restarted on the same etcd after 15 s.
    const kubeApi = cp.processes.filter((p) => p.name === 'kube-apiserver').at(-1)!;
    process.kill(-kubeApi.pid, 'SIGKILL');
    note('killed kube-apiserver');
    await kubeApi.exited;
    await sleep(15_000);
    await cp.startApiserver();
    note('kube-apiserver restarted');

    await waitFor(`all ${JOBS} jobs to end`, async () => (ended() === JOBS ? true : undefined), 6 * 60_000, 1000);
    await sleep(10_000); // a duplicate end message would arrive by now
    reading.abort();
    await reader;

    for (const id of ids) {
      const types = byJob.get(id)!.map((m) => m.type);
      expect({ id, ends: types.filter((t) => END_TYPES.includes(t)) }).toEqual({ id, ends: ['JOB_COMPLETED'] });
    }
    const jobs = (await listJobs(stack)).filter((j) => ids.includes(j.spec.jobId));
    expect(jobs.map((j) => j.status?.phase)).toEqual(ids.map(() => 'Succeeded'));
    // Every output of every job is in S3, at the keys its status reports.
    for (const j of jobs) {
      expect(j.status?.outputs?.map((o) => o.status)).toEqual(['Succeeded', 'Succeeded', 'Succeeded']);
      for (const o of j.status!.outputs!) {
        expect(o.keys?.length).toBeGreaterThan(0);
        for (const key of o.keys!) {
          const head = await stack.s3.send(new HeadObjectCommand({ Bucket: o.bucket!, Key: key })).catch(() => undefined);
          expect({ key, stored: (head?.ContentLength ?? 0) > 0 }).toEqual({ key, stored: true });
        }
      }
    }
    // Nothing failed; only the killed runner's tasks were taken back (and redone once).
    const all = await tasks();
    expect(all.filter((t) => t.failures > 0)).toEqual([]);
    const redone = all.filter((t) => (t.timeouts ?? 0) > 0).map((t) => t.uuid);
    for (const uuid of redone) expect(victimTasks.has(uuid)).toBe(true);
    // Every runner-side start of a task that was not the victim's happened once: a finished transcode
    // was never redone because of the api-server or kube-apiserver outage.
    const starts = new Map<string, number>();
    for (const name of ['fi-a', 'fi-b']) {
      for (const l of readFileSync(stack.components.logs[name]!, 'utf8').split('\n')) {
        if (!l.includes('"msg":"job started"')) continue;
        const uuid = (JSON.parse(l) as { jobUuid: string }).jobUuid;
        starts.set(uuid, (starts.get(uuid) ?? 0) + 1);
      }
    }
    for (const [uuid, n] of starts) if (!victimTasks.has(uuid)) expect({ uuid, n }).toEqual({ uuid, n: 1 });
    // The api-server outage really hit a finished transcode, which was delivered after it, not redone.
    const runnerLines = ['fi-a', 'fi-b'].flatMap((name) => readFileSync(stack.components.logs[name]!, 'utf8').split('\n'));
    expect(runnerLines.some((l) => l.includes('"msg":"success delivered after retries"'))).toBe(true);
    // No ffmpeg left by any runner of this suite.
    for (const name of ['fi-a', 'fi-b']) kept[name]!.release();
    for (const name of ['fi-a', 'fi-b']) await kept[name]!.current().stop();
    const left = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => /\bffmpeg\b/.test(l) && l.includes(stack.ns));
    expect(left).toEqual([]);
  },
  15 * 60_000,
);
