// Test harness of the api-server integration tests: starts real api-server processes (dist/) against
// the test apiserver + moto, seeds namespaces, registration-token Secrets, TranscodeJobs with tasks
// in their status (as the operator writes them), and talks the runner protocol with plain fetch.
import { randomUUID, createHash } from 'node:crypto';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { spawnManaged, freePort, waitFor, type ManagedProcess } from '../../env/process.js';
import { envVars } from '../../env/environment.js';
import { REPO_ROOT } from '../../env/paths.js';
import { envInfo, kubeConfigForTests, uniqueName, useTestEnvironment } from '../../helpers/env.js';
import { GROUP, VERSION, API_VERSION, LABEL_REGISTRATION_TOKEN } from '../../../lib/kube/resources.js';
import { s3Config } from '../../../lib/aws/config.js';
import { updateStatus } from '../../../lib/kube/status.js';
import type { TaskStatus, TranscodeJob } from '../../../lib/schema/transcode-job.js';

useTestEnvironment();
export const kc = kubeConfigForTests();
export const core = kc.makeApiClient(CoreV1Api);
export const objects = kc.makeApiClient(CustomObjectsApi);
export const s3 = new S3Client(s3Config());
export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

export interface ApiServerProcess {
  url: string;
  proc: ManagedProcess;
  stop(): Promise<void>;
}

export async function startApiServer(namespace: string, extraEnv: Record<string, string> = {}): Promise<ApiServerProcess> {
  const main = join(REPO_ROOT, 'dist', 'api-server', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -p tsconfig.build.json)`);
  const info = envInfo();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawnManaged(`api-server-${port}`, process.execPath, [main], {
    logFile: join(info.dir, `api-server-${namespace}-${port}.log`),
    env: {
      ...process.env,
      ...envVars(info),
      CT_NAMESPACE: namespace,
      CT_HTTP_PORT: String(port),
      CT_HTTP_HOST: '127.0.0.1',
      CT_PUBLIC_URL: url,
      CT_ADMIN_TOKEN: ADMIN_TOKEN,
      CT_PROGRESS_WRITE_INTERVAL_MS: '300',
      LOG_LEVEL: 'debug',
      ...extraEnv,
    },
  });
  await waitFor(
    `api-server on ${url} ready (log ${proc.logFile})`,
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`api-server exited with ${proc.child.exitCode}; see ${proc.logFile}`);
      const res = await fetch(`${url}/readyz`);
      return res.status === 200 ? true : undefined;
    },
    30_000,
  );
  return { url, proc, stop: () => proc.stop() };
}

export async function createNamespace(prefix: string): Promise<string> {
  const ns = uniqueName(prefix);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  return ns;
}

export async function createBucket(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

/** A registration-token Secret holding the token hash (as the admin endpoint makes it) or the plain token (Helm). */
export async function createRegistrationSecret(
  namespace: string,
  opts: { plain?: boolean } = {},
): Promise<{ token: string; name: string }> {
  const token = `ptrrt-${randomUUID()}`;
  const name = uniqueName('regtoken');
  const data: Record<string, string> = opts.plain
    ? { token: Buffer.from(token).toString('base64') }
    : { tokenHash: Buffer.from(createHash('sha256').update(token).digest('hex')).toString('base64') };
  await core.createNamespacedSecret({ namespace, body: { metadata: { name, labels: { [LABEL_REGISTRATION_TOKEN]: 'true' } }, data } });
  return { token, name };
}

export interface TaskSeed {
  type?: string;
  priority?: number;
  state?: number;
  dependsOn?: string;
  uuid?: string;
  inputs?: TaskStatus['inputs'];
  placement?: TaskStatus['placement'];
  payload?: Record<string, unknown>;
}

export function filesPath(taskUuid: string, videoUuid: string, suffix = 'max-quality'): string {
  return `/api/v1/runners/jobs/${taskUuid}/files/videos/${videoUuid}/${suffix}`;
}

/** Creates a TranscodeJob and writes `tasks` into its status (the operator's part of the contract). */
export async function createJobWithTasks(
  namespace: string,
  seeds: TaskSeed[],
  inputBucket = 'in-bucket',
  outBucket = 'out-bucket',
  specExtra: Record<string, unknown> = {},
  name = uniqueName('job'),
): Promise<TranscodeJob> {
  const created = (await objects.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: 'transcodejobs',
    body: {
      apiVersion: API_VERSION,
      kind: 'TranscodeJob',
      metadata: { name },
      spec: {
        clientRef: { name: 'test' },
        jobId: name,
        job: {
          input_type: 'VIDEO',
          input_bucket: inputBucket,
          input_file: 'src/clip.mp4',
          outputs: [{ output_type: 'VIDEO', output_bucket: outBucket, output_file: 'out/clip.mp4', preset: '480p-16.9-generic' }],
        },
        ...specExtra,
      },
    },
  })) as TranscodeJob;
  const uid = created.metadata.uid!;
  const now = new Date().toISOString();
  const tasks: TaskStatus[] = seeds.map((s, i) => {
    const uuid = s.uuid ?? randomUUID();
    const type = s.type ?? 'vod-web-video-transcoding';
    const payload =
      s.payload ??
      (type === 'vod-hls-transcoding'
        ? {
            input: { videoFileUrl: filesPath(uuid, uid), separatedAudioFileUrl: [] },
            output: { resolution: 240, fps: 25, separatedAudio: false },
          }
        : { input: { videoFileUrl: filesPath(uuid, uid), separatedAudioFileUrl: [] }, output: { resolution: 240, fps: 25 } });
    return {
      uuid,
      type,
      name: `output 0 task ${i}`,
      outputIndex: 0,
      state: s.state ?? (s.dependsOn ? 5 : 1),
      priority: s.priority ?? 100,
      ...(s.dependsOn ? { dependsOn: s.dependsOn } : {}),
      payload,
      inputs: s.inputs ?? { video: { bucket: inputBucket, key: 'src/clip.mp4' } },
      placement: s.placement ?? { bucket: outBucket, files: { 'payload[videoFile]': `out/${uuid}.mp4` } },
      failures: 0,
      createdAt: now,
      updatedAt: now,
    };
  });
  return (await objects.replaceNamespacedCustomObjectStatus({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: 'transcodejobs',
    name,
    body: { ...created, status: { phase: 'Running', tasks } },
  })) as TranscodeJob;
}

export async function getJob(namespace: string, name: string): Promise<TranscodeJob> {
  return (await objects.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: 'transcodejobs',
    name,
  })) as TranscodeJob;
}

export async function taskOf(namespace: string, jobName: string, uuid: string): Promise<TaskStatus> {
  const job = await getJob(namespace, jobName);
  const t = job.status?.tasks?.find((x) => x.uuid === uuid);
  if (!t) throw new Error(`task ${uuid} not in job ${jobName}`);
  return t;
}

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

async function reply(res: Response): Promise<Reply> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return reply(
    await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }),
  );
}

export async function postForm(url: string, form: FormData, headers: Record<string, string> = {}): Promise<Reply> {
  return reply(await fetch(url, { method: 'POST', redirect: 'manual', body: form, headers }));
}

export async function send(url: string, init: RequestInit): Promise<Reply> {
  return reply(await fetch(url, { redirect: 'manual', ...init }));
}

export function form(
  fields: Record<string, string>,
  files: { field: string; name: string; data: Buffer | string; type?: string }[] = [],
): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  for (const file of files) f.append(file.field, new Blob([file.data], { type: file.type ?? 'application/octet-stream' }), file.name);
  return f;
}

/** A runner as the protocol sees it. */
export class TestRunner {
  runnerToken = '';
  id = 0;
  name = '';
  constructor(readonly base: string) {}

  api(path: string): string {
    return `${this.base}/api/v1/runners${path}`;
  }

  async register(registrationToken: string, name = uniqueName('runner')): Promise<Reply> {
    const r = await postJson(this.api('/register'), { registrationToken, name, description: 'test runner', version: '0.0.1' });
    if (r.status === 200) {
      this.runnerToken = r.body.runnerToken;
      this.id = r.body.id;
      this.name = name;
    }
    return r;
  }

  request(jobTypes?: string[]): Promise<Reply> {
    return postJson(this.api('/jobs/request'), { runnerToken: this.runnerToken, ...(jobTypes ? { jobTypes } : {}) });
  }

  accept(uuid: string): Promise<Reply> {
    return postJson(this.api(`/jobs/${uuid}/accept`), { runnerToken: this.runnerToken });
  }

  /** Accepts and returns the job token (fails the test otherwise). */
  async acceptOk(uuid: string): Promise<{ jobToken: string; job: any }> {
    const r = await this.accept(uuid);
    if (r.status !== 200) throw new Error(`accept ${uuid}: ${r.status} ${JSON.stringify(r.body)}`);
    return { jobToken: r.body.job.jobToken, job: r.body.job };
  }

  abort(uuid: string, jobToken: string, reason = 'stop'): Promise<Reply> {
    return postJson(this.api(`/jobs/${uuid}/abort`), { runnerToken: this.runnerToken, jobToken, reason });
  }

  error(uuid: string, jobToken: string, message = 'boom'): Promise<Reply> {
    return postJson(this.api(`/jobs/${uuid}/error`), { runnerToken: this.runnerToken, jobToken, message });
  }

  update(uuid: string, jobToken: string, progress?: number): Promise<Reply> {
    return postForm(
      this.api(`/jobs/${uuid}/update`),
      form({ runnerToken: this.runnerToken, jobToken, ...(progress !== undefined ? { progress: String(progress) } : {}) }),
    );
  }

  success(
    uuid: string,
    jobToken: string,
    files: { field: string; name: string; data: Buffer | string; type?: string }[],
    fields: Record<string, string> = {},
  ): Promise<Reply> {
    return postForm(this.api(`/jobs/${uuid}/success`), form({ runnerToken: this.runnerToken, jobToken, ...fields }, files));
  }
}

/** Changes a job's status the way another component would (re-read and retry on conflicts). */
export async function mutateJobStatus(namespace: string, name: string, fn: (job: TranscodeJob) => void): Promise<TranscodeJob> {
  const out = await updateStatus<TranscodeJob>(kc, 'TranscodeJob', namespace, name, (job) => {
    fn(job);
    return true;
  });
  if (!out) throw new Error(`job ${namespace}/${name} is gone`);
  return out;
}
