// Shared setup of the api-server benchmarks: a real environment (etcd, kube-apiserver, moto) in a
// temp dir, one api-server process from dist/, seeding helpers. Run a benchmark with
//   npx tsc -p tsconfig.build.json && node dist/bench/api-request.js   (or api-sockets.js, api-upload.js)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID, createHash } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { startEnvironment, envVars, type Environment } from '../test/env/environment.js';
import { spawnManaged, freePort, waitFor, type ManagedProcess } from '../test/env/process.js';
import { REPO_ROOT } from '../test/env/paths.js';
import { API_VERSION, GROUP, VERSION, LABEL_REGISTRATION_TOKEN } from '../lib/kube/resources.js';

export interface BenchEnv {
  env: Environment;
  kc: KubeConfig;
  namespace: string;
  url: string;
  api: ManagedProcess;
  stop(): Promise<void>;
}

/** `nodeArgs` go before the api-server's script (e.g. --cpu-prof, not allowed in NODE_OPTIONS). */
export async function startBenchEnv(extraEnv: Record<string, string> = {}, nodeArgs: string[] = []): Promise<BenchEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'ct-bench-'));
  const env = await startEnvironment(dir);
  Object.assign(process.env, envVars(env.info));
  const kc = new KubeConfig();
  kc.loadFromFile(env.info.kubeconfig);
  const namespace = 'bench';
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const api = spawnManaged('api-server', process.execPath, [...nodeArgs, join(REPO_ROOT, 'dist', 'api-server', 'main.js')], {
    logFile: join(dir, 'api-server.log'),
    env: {
      ...process.env,
      ...envVars(env.info),
      CT_NAMESPACE: namespace,
      CT_HTTP_PORT: String(port),
      CT_HTTP_HOST: '127.0.0.1',
      CT_PUBLIC_URL: url,
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
  });
  await waitFor('api-server ready', async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined), 60_000);
  return {
    env,
    kc,
    namespace,
    url,
    api,
    async stop() {
      // The children are unref'd: without a ref'd handle node would exit (code 13) mid-stop,
      // hiding whatever error brought us here.
      const alive = setInterval(() => undefined, 1000);
      await api.stop().finally(() => env.stop().finally(() => clearInterval(alive)));
      // etcd's data is tens of MB per run; BENCH_KEEP_DIR=1 keeps it (and the logs) for a look.
      if (!process.env['BENCH_KEEP_DIR']) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function registrationToken(b: BenchEnv): Promise<string> {
  const token = `ptrrt-${randomUUID()}`;
  await b.kc.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace: b.namespace,
    body: {
      metadata: { name: `bench-token-${Date.now()}`, labels: { [LABEL_REGISTRATION_TOKEN]: 'true' } },
      data: { tokenHash: Buffer.from(createHash('sha256').update(token).digest('hex')).toString('base64') },
    },
  });
  return token;
}

export async function registerRunners(b: BenchEnv, count: number): Promise<string[]> {
  const token = await registrationToken(b);
  await new Promise((r) => setTimeout(r, 500)); // the Secret reaches the cache
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${b.url}/api/v1/runners/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ registrationToken: token, name: `bench-runner-${i}` }),
    });
    if (res.status !== 200) throw new Error(`register: ${res.status} ${await res.text()}`);
    tokens.push(((await res.json()) as { runnerToken: string }).runnerToken);
  }
  return tokens;
}

/** `jobs` TranscodeJobs with `tasksPerJob` pending tasks each, written as the operator would. */
export async function seedPendingTasks(b: BenchEnv, jobs: number, tasksPerJob: number): Promise<void> {
  const api = b.kc.makeApiClient(CustomObjectsApi);
  for (let j = 0; j < jobs; j++) {
    const name = `bench-job-${j}`;
    const created = (await api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: b.namespace,
      plural: 'transcodejobs',
      body: {
        apiVersion: API_VERSION,
        kind: 'TranscodeJob',
        metadata: { name },
        spec: {
          clientRef: { name: 'bench' },
          jobId: name,
          job: {
            input_type: 'VIDEO',
            input_bucket: 'bench-in',
            input_file: 'src/clip.mp4',
            outputs: [{ output_type: 'VIDEO', output_bucket: 'bench-out', output_file: 'o.mp4', preset: '480p-16.9-generic' }],
          },
        },
      },
    })) as { metadata: { uid: string } };
    const now = new Date().toISOString();
    const tasks = Array.from({ length: tasksPerJob }, (_, i) => {
      const uuid = randomUUID();
      return {
        uuid,
        type: 'vod-web-video-transcoding',
        name: `task ${i}`,
        outputIndex: 0,
        state: 1,
        priority: (j * tasksPerJob + i) % 97,
        payload: {
          input: {
            videoFileUrl: `/api/v1/runners/jobs/${uuid}/files/videos/${created.metadata.uid}/max-quality`,
            separatedAudioFileUrl: [],
          },
          output: { resolution: 720, fps: 30 },
        },
        inputs: { video: { bucket: 'bench-in', key: 'src/clip.mp4' } },
        placement: { bucket: 'bench-out', files: { 'payload[videoFile]': `o/${uuid}.mp4` } },
        failures: 0,
        createdAt: now,
        updatedAt: now,
      };
    });
    await api.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace: b.namespace,
      plural: 'transcodejobs',
      name,
      body: { ...created, status: { phase: 'Running', tasks } },
    });
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function apiRssBytes(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^ct_api_process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
  if (!m) throw new Error('no RSS metric');
  return Number(m[1]);
}

export async function apiHeapUsedBytes(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^ct_api_nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
  if (!m) throw new Error('no heap metric');
  return Number(m[1]);
}
