// The local default stack: a real control plane + moto + operator + api-server + one runner, all
// on loopback, run by a background daemon so the stack stays up for more jobs.
//   node dist/hack/stack.js up      start (or reuse) the stack, then run the example job end to end
//   node dist/hack/stack.js job     run the example job again on the running stack
//   node dist/hack/stack.js status  print endpoints
//   node dist/hack/stack.js stop    stop everything
//   node dist/hack/stack.js daemon  (internal) the long-lived process owning all children
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync, openSync, createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { SQSClient, SendMessageCommand, ReceiveMessageCommand, DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { startEnvironment, envVars, type EnvironmentInfo } from '../test/env/environment.js';
import { waitFor } from '../test/env/process.js';
import { prepareComponents } from '../test/env/components.js';
import { keepAlive, type KeepAlive } from '../test/env/keep-alive.js';
import { REPO_ROOT, CACHE_DIR } from '../test/env/paths.js';
import { crs, type Crs } from '../lib/kube/crs.js';
import type { TranscodeClient } from '../lib/schema/transcode-client.js';
import { statusOf } from '../lib/kube/client.js';
import { clientConfig, s3Config, awsSettingsFromEnv } from '../lib/aws/config.js';
import { parse } from 'yaml';
import { LiveProgress } from '../cli/progress.js';
import type { OutputSpec } from '../lib/schema/ct-job.js';

const STACK_DIR = process.env['CT_STACK_DIR'] ?? join(CACHE_DIR, 'stack');
const PID_FILE = join(STACK_DIR, 'daemon.pid');
const INFO_FILE = join(STACK_DIR, 'stack.json');
const NAMESPACE = 'default';

interface StackInfo {
  env: EnvironmentInfo;
  apiUrl: string;
  adminToken: string;
  envFile: string;
  logs: Record<string, string>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function daemonPid(): number | undefined {
  if (!existsSync(PID_FILE)) return undefined;
  const pid = Number(readFileSync(PID_FILE, 'utf8'));
  return Number.isInteger(pid) && alive(pid) ? pid : undefined;
}

function say(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

// ---------------------------------------------------------------- daemon (owns every process)
async function daemon(): Promise<void> {
  mkdirSync(STACK_DIR, { recursive: true });
  writeFileSync(PID_FILE, String(process.pid));
  const env = await startEnvironment(join(STACK_DIR, 'env'), process.pid);
  const components = await prepareComponents(env.info, {
    dir: STACK_DIR,
    namespace: NAMESPACE,
    parentPid: process.pid,
    ...(process.env['CT_STACK_API_PORT'] ? { apiPort: Number(process.env['CT_STACK_API_PORT']) } : {}),
  });
  const runnerEnv = { CT_RUNNER_CONCURRENCY: '2' };
  // Each component is restarted when it dies, as its Deployment would restart it.
  const kept: KeepAlive[] = [
    keepAlive('operator', () => components.startOperator(), await components.startOperator()),
    keepAlive('api-server', async () => (await components.startApiServer()).proc, (await components.startApiServer()).proc),
    keepAlive('runner', () => components.startRunner('local-runner', runnerEnv), components.startRunner('local-runner', runnerEnv)),
  ];
  const { apiUrl, adminToken, logs } = components;
  const procs = components.processes;
  const info: StackInfo = { env: env.info, apiUrl, adminToken, envFile: join(env.info.dir, 'env'), logs };
  writeFileSync(INFO_FILE, JSON.stringify(info, null, 2));
  const stop = async () => {
    for (const k of kept) k.release();
    for (const p of [...procs].reverse()) await p.stop();
    await env.stop();
    rmSync(PID_FILE, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  setInterval(() => undefined, 1 << 30); // stay alive
}

async function ensureDaemon(): Promise<StackInfo> {
  let pid = daemonPid();
  if (pid) {
    say(`stack already running (daemon pid ${pid}); reusing it`);
  } else {
    rmSync(INFO_FILE, { force: true });
    mkdirSync(STACK_DIR, { recursive: true });
    const log = openSync(join(STACK_DIR, 'daemon.log'), 'a');
    const child = spawn(process.execPath, [process.argv[1]!, 'daemon'], { detached: true, stdio: ['ignore', log, log] });
    child.unref();
    pid = child.pid!;
    say(`starting the local stack (daemon pid ${pid}): etcd, kube-apiserver, moto, operator, api-server, runner…`);
  }
  const daemonPidNow = pid;
  await waitFor(
    'the local stack',
    async () => {
      if (!alive(daemonPidNow)) throw new Error(`the stack daemon died; see ${join(STACK_DIR, 'daemon.log')}`);
      return existsSync(INFO_FILE) ? true : undefined;
    },
    240_000,
    500,
  );
  return JSON.parse(readFileSync(INFO_FILE, 'utf8')) as StackInfo;
}

// ---------------------------------------------------------------- the example job, end to end
interface ClientStatus {
  queues?: { inputUrl?: string; outputUrl?: string };
  buckets?: { input?: string; output?: string };
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

async function runExampleJob(info: StackInfo): Promise<void> {
  Object.assign(process.env, envVars(info.env));
  const kc = new KubeConfig();
  kc.loadFromFile(info.env.kubeconfig);
  const objects = crs(kc);
  const client = parse(readFileSync(join(REPO_ROOT, 'examples', 'transcodeclient.yaml'), 'utf8')) as TranscodeClient;
  try {
    await objects.clients.create({ ...client, metadata: { ...client.metadata, namespace: NAMESPACE } });
    say('applied examples/transcodeclient.yaml (TranscodeClient "demo")');
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
  }
  let last = '';
  const status = await waitFor(
    'TranscodeClient demo to be Ready',
    async () => {
      const obj = (await objects.clients.get(NAMESPACE, 'demo')) as { status?: ClientStatus };
      const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
      const line = ready ? `${ready.status} ${ready.reason}: ${ready.message}` : 'no status yet';
      if (line !== last) say(`  client demo Ready=${line}`);
      last = line;
      return ready?.status === 'True' ? obj.status : undefined;
    },
    120_000,
    500,
  );
  const inputUrl = status!.queues!.inputUrl!;
  const outputUrl = status!.queues!.outputUrl!;
  const inBucket = status!.buckets!.input!;
  const outBucket = status!.buckets!.output!;

  // A generated 10 s 720p clip, uploaded to the client's input bucket.
  const clip = join(STACK_DIR, 'clip.mp4');
  if (!existsSync(clip)) {
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=30:duration=10',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=10',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      clip,
    ]);
  }
  const settings = awsSettingsFromEnv();
  const s3 = new S3Client(s3Config(settings));
  await s3.send(
    new PutObjectCommand({ Bucket: inBucket, Key: 'uploads/clip.mp4', Body: createReadStream(clip), ContentLength: statSync(clip).size }),
  );
  say(`uploaded a generated 10 s 1280x720 clip to s3://${inBucket}/uploads/clip.mp4`);

  const jobId = `demo-${Date.now().toString(36)}`;
  const data = JSON.parse(
    readFileSync(join(REPO_ROOT, 'examples', 'start-job.json'), 'utf8')
      .replaceAll('ct-default-demo-input', inBucket)
      .replaceAll('ct-default-demo-output', outBucket)
      .replaceAll('clip/', `${jobId}/`),
  );
  const sqs = new SQSClient(clientConfig(settings));
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: inputUrl,
      MessageBody: JSON.stringify({ time: Date.now() / 1000, type: 'START_JOB', job_id: jobId, data }),
    }),
  );
  say(`sent START_JOB ${jobId} to ${inputUrl}; messages from ${outputUrl}:`);

  // Outputs by name ("VIDEO sd.mp4 51 %"): live lines on a terminal, plain lines otherwise.
  const progress = new LiveProgress(process.stdout, (data as { outputs?: OutputSpec[] }).outputs);
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    if (Date.now() > deadline)
      throw new Error(`job ${jobId} did not finish within 15 minutes; see ${info.logs['operator']} and ${info.logs['runner']}`);
    const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: outputUrl, WaitTimeSeconds: 5, MaxNumberOfMessages: 10 }));
    for (const m of res.Messages ?? []) {
      let msg: { type?: string; job_id?: string; data?: Record<string, unknown> };
      try {
        msg = JSON.parse(m.Body ?? '');
      } catch {
        continue;
      }
      if (msg.job_id !== jobId) continue;
      await sqs.send(new DeleteMessageCommand({ QueueUrl: outputUrl, ReceiptHandle: m.ReceiptHandle! }));
      progress.feed({ type: msg.type ?? '?', ...(msg.data ? { data: msg.data } : {}) });
      if (msg.type === 'JOB_COMPLETED' || msg.type === 'JOB_FAILED' || msg.type === 'JOB_CANCELED') {
        await printOutcome(objects, jobId, msg);
        return;
      }
    }
  }
}

async function printOutcome(objects: Crs, jobId: string, msg: { type?: string; data?: Record<string, unknown> }): Promise<void> {
  const list = await objects.jobs.list(NAMESPACE);
  const job = list.find((j) => j.spec.jobId === jobId);
  say(`\n${msg.type}: TranscodeJob ${job?.metadata.name ?? '?'} phase ${job?.status?.phase ?? '?'}`);
  for (const o of job?.status?.outputs ?? []) {
    say(
      `  ${o.type.padEnd(5)} ${o.status.padEnd(9)} ${(o.keys ?? []).map((k) => `s3://${o.bucket}/${k}`).join(' ')}${o.reason ? ` (${o.reason})` : ''}`,
    );
  }
  if (msg.type !== 'JOB_COMPLETED') process.exitCode = 1;
}

function printUsage(info: StackInfo): void {
  say(`
The stack is up and stays up for more jobs:
  source ${info.envFile}             # KUBECONFIG, AWS endpoint/region/credentials of the local stack
  kubectl get transcodeclients,transcodejobs
  npm run stack -- job                  # send the example job again
  node dist/cli/ct-commander.js --help  # send any CT command (START_JOB, GET_JOB_STATUS, …)
  node dist/cli/ct-poller.js --help     # read the output queue
  api-server (runners): ${info.apiUrl}
  web console: ${info.apiUrl}/console/  (admin token ${info.adminToken})
  logs: ${Object.values(info.logs).join(' ')}
  npm run stack -- stop                 # stop everything`);
}

async function main(): Promise<void> {
  const cmd = process.argv[2] ?? 'up';
  if (cmd === 'daemon') return daemon();
  if (cmd === 'stop') {
    const pid = daemonPid();
    if (!pid) return say('the local stack is not running');
    process.kill(pid, 'SIGTERM');
    await waitFor('the stack to stop', async () => (alive(pid) ? undefined : true), 60_000, 300);
    return say('local stack stopped');
  }
  if (cmd === 'status') {
    const pid = daemonPid();
    if (!pid || !existsSync(INFO_FILE)) return say('the local stack is not running');
    return printUsage(JSON.parse(readFileSync(INFO_FILE, 'utf8')) as StackInfo);
  }
  if (cmd !== 'up' && cmd !== 'job') throw new Error(`unknown command ${cmd}: use up, job, status or stop`);
  const info = await ensureDaemon();
  await runExampleJob(info);
  printUsage(info);
}

main().catch((err: unknown) => {
  process.stderr.write(`[stack] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
