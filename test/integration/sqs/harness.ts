// Shared set-up of the SQS protocol tests: a namespace of their own, the real operator process watching
// only it, TranscodeClients made Ready by the real client reconciler, SDK clients on their queues, and
// helpers to read output queues and to play the job lifecycle's part in TranscodeJob status.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { generateClip } from '../../helpers/media.js';
import { kubeConfigForTests, uniqueName, useTestEnvironment } from '../../helpers/env.js';
import { waitFor } from '../../env/process.js';
import type { EnvironmentInfo } from '../../env/environment.js';
import { startOperator, clientsApi, waitForCondition, awsClients, type Operator } from '../client/operator.js';
import { CtClient, type AnyCtMessage } from '../../../sdk/index.js';
import { GROUP, VERSION, LABEL_CLIENT } from '../../../lib/kube/resources.js';
import { updateStatus } from '../../../lib/kube/status.js';
import { jobName } from '../../../lib/ct/naming.js';
import type { TranscodeJob, TranscodeJobStatus } from '../../../lib/schema/transcode-job.js';
import type { JobDescription } from '../../../lib/schema/ct-job.js';

export interface Harness {
  info: EnvironmentInfo;
  kc: KubeConfig;
  ns: string;
  op: Operator;
  env: Record<string, string>;
  restart(extraEnv?: Record<string, string>): Promise<Operator>;
  stop(): Promise<void>;
}

/** Operator settings for these tests: only this namespace, fast retries, SQS features under test. */
export function operatorEnv(ns: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CT_NAMESPACE: ns,
    CT_LEASE_NAMESPACE: ns,
    CT_LEASE_NAME: `op-${ns}`,
    CT_QUEUE_PREFIX: `${ns.slice(-20)}-`,
    CT_BUCKET_PREFIX: `${ns.slice(-20)}-`,
    CT_SQS_WAIT_SECONDS: '2',
    CT_SQS_VISIBILITY_SECONDS: '5',
    CT_SQS_RETRY_BASE_SECONDS: '1',
    CT_SQS_CLIENT_REFRESH_MS: '200',
    CT_PROGRESS_INTERVAL_MS: '1500',
    LOG_LEVEL: 'info',
    // These tests play the runner through CR writes without registering one: no NoRunnerForTaskType.
    CT_NO_RUNNER_GRACE_SECONDS: '3600',
    ...extra,
  };
}

export async function setUp(prefix: string, extraEnv: Record<string, string> = {}): Promise<Harness> {
  const info = useTestEnvironment();
  const kc = kubeConfigForTests();
  const ns = uniqueName(prefix);
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  const env = operatorEnv(ns, extraEnv);
  let n = 0;
  const h: Harness = {
    info,
    kc,
    ns,
    env,
    op: await startOperator(info, `${ns}-${n}`, env),
    async restart(more = {}) {
      await h.op.proc.stop();
      keepLog(h.op);
      n += 1;
      h.op = await startOperator(info, `${ns}-${n}`, { ...env, ...more });
      return h.op;
    },
    async stop() {
      await h.op.proc.stop();
      keepLog(h.op);
    },
  };
  return h;
}

/** The environment dir goes away with the run: keep operator logs for a look after a failure. */
function keepLog(op: Operator): void {
  const dir = join(tmpdir(), 'ct-sqs-test-logs');
  mkdirSync(dir, { recursive: true });
  if (existsSync(op.proc.logFile)) copyFileSync(op.proc.logFile, join(dir, basename(op.proc.logFile)));
}

export interface TestClient {
  name: string;
  ct: CtClient;
  inputBucket: string;
  outputBucket: string;
  inputUrl: string;
  outputUrl: string;
  deadLetterUrl: string;
}

/** A TranscodeClient with managed queues, Ready through the real reconciler. */
export async function createClient(h: Harness, name: string, spec: Record<string, unknown> = {}): Promise<TestClient> {
  await clientsApi(h.kc).create(h.ns, {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'TranscodeClient',
    metadata: { name },
    spec: { principal: '123456789012', queues: { managed: true, maxReceiveCount: 3 }, ...spec },
  });
  const ready = await waitForCondition(h.kc, h.ns, name, 'Ready', 'True', undefined, 90_000);
  const q = ready.status.queues as { inputUrl: string; outputUrl: string; deadLetterUrl: string };
  const buckets = ready.status.buckets as { input: string; output: string };
  const { sqs } = awsClients(h.info);
  return {
    name,
    ct: new CtClient({ inputQueueUrl: q.inputUrl, outputQueueUrl: q.outputUrl, sqs }),
    inputBucket: buckets.input,
    outputBucket: buckets.output,
    inputUrl: q.inputUrl,
    outputUrl: q.outputUrl,
    deadLetterUrl: q.deadLetterUrl,
  };
}

let clipFile: Promise<string> | undefined;

/** Uploads a generated 2 s 1280x720 clip (with audio) to the client's input bucket at `key`. */
export async function uploadClip(h: Harness, c: TestClient, key = 'uploads/clip.mp4'): Promise<void> {
  clipFile ??= generateClip(join(h.info.dir, `sqs-clip-${process.pid}.mp4`), { durationSec: 2, width: 1280, height: 720 });
  const { s3 } = awsClients(h.info);
  await s3.send(new PutObjectCommand({ Bucket: c.inputBucket, Key: key, Body: readFileSync(await clipFile) }));
}

/** Commands' replies (what the listener sends), as opposed to the job lifecycle messages. */
export const REPLY_TYPES = [
  'JOB_STATUS',
  'JOB_LIST',
  'ACTIVITY_LIST',
  'ACTIVITY_STATUS',
  'JOB_CANCEL_REQUESTED',
  'ACTIVITY_CANCEL_REQUESTED',
  'COMMAND_REJECTED',
];

export function repliesIn(msgs: AnyCtMessage[]): AnyCtMessage[] {
  return msgs.filter((m) => REPLY_TYPES.includes(m.type));
}

/** Reads the client's output queue until `until` matches (inclusive) or the time is up. */
export async function collect(
  c: TestClient,
  until: (m: AnyCtMessage, all: AnyCtMessage[]) => boolean,
  timeoutMs = 30_000,
): Promise<AnyCtMessage[]> {
  const out: AnyCtMessage[] = [];
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    for await (const m of c.ct.messages({ waitSeconds: 1, signal: abort.signal })) {
      out.push(m);
      if (until(m, out)) return out;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`timed out after ${timeoutMs} ms; got ${out.map((m) => m.type).join(', ') || 'nothing'}`);
}

/** Everything that arrives on the output queue within `ms`. */
export async function drain(c: TestClient, ms: number): Promise<AnyCtMessage[]> {
  const out: AnyCtMessage[] = [];
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  try {
    for await (const m of c.ct.messages({ waitSeconds: 1, signal: abort.signal })) out.push(m);
  } finally {
    clearTimeout(timer);
  }
  return out;
}

/** The next reply of `type` (other messages are kept in `seen`). */
export async function reply<T extends AnyCtMessage['type']>(
  c: TestClient,
  type: T,
  timeoutMs = 30_000,
): Promise<Extract<AnyCtMessage, { type: T }>> {
  const got = await collect(c, (m) => m.type === type, timeoutMs);
  return got[got.length - 1] as Extract<AnyCtMessage, { type: T }>;
}

const jobsRef = (ns: string) => ({ group: GROUP, version: VERSION, namespace: ns, plural: 'transcodejobs' });

export async function jobsOfClient(h: Harness, client: string): Promise<TranscodeJob[]> {
  const list = (await h.kc
    .makeApiClient(CustomObjectsApi)
    .listNamespacedCustomObject({ ...jobsRef(h.ns), labelSelector: `${LABEL_CLIENT}=${client}` })) as {
    items: TranscodeJob[];
  };
  return list.items;
}

export async function getJob(h: Harness, client: string, jobId: string): Promise<TranscodeJob | undefined> {
  try {
    return (await h.kc
      .makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObject({ ...jobsRef(h.ns), name: jobName(client, jobId) })) as TranscodeJob;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

export async function waitForJob(h: Harness, client: string, jobId: string): Promise<TranscodeJob> {
  return waitFor(`job ${jobId} of ${client}`, () => getJob(h, client, jobId), 30_000, 100);
}

/** Plays the job lifecycle's part: one optimistic status write, as the operator/api-server would. */
export async function writeStatus(
  h: Harness,
  client: string,
  jobId: string,
  mutate: (s: TranscodeJobStatus) => void,
): Promise<TranscodeJob> {
  const written = await updateStatus<TranscodeJob>(h.kc, 'TranscodeJob', h.ns, jobName(client, jobId), (obj) => {
    obj.status = obj.status ?? {};
    mutate(obj.status);
    return true;
  });
  if (!written) throw new Error(`job ${jobId} is gone`);
  return written;
}

export async function queueDepth(h: Harness, url: string): Promise<number> {
  const { sqs } = awsClients(h.info);
  const a = (
    await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    )
  ).Attributes!;
  return Number(a['ApproximateNumberOfMessages']) + Number(a['ApproximateNumberOfMessagesNotVisible']);
}

/** VIDEO (480p preset) + THUMB of the client's uploads/clip.mp4 (or of a missing file: the job fails S3_OPS_FAILED). */
export function sampleJob(c: { inputBucket: string; outputBucket: string }, inputFile = 'uploads/clip.mp4'): JobDescription {
  const outBucket = c.outputBucket;
  return {
    input_type: 'VIDEO',
    input_bucket: c.inputBucket,
    input_file: inputFile,
    outputs: [
      { output_type: 'VIDEO', output_bucket: outBucket, output_file: '/clip/sd.mp4', preset: '480p-16.9-generic', keep_ratio: false },
      {
        output_type: 'THUMB',
        mode: 'snapshot',
        output_bucket: outBucket,
        output_file: '/clip/poster.jpg',
        size: '320x180',
        snapshot_sec: 1,
      },
    ],
  };
}

export { uniqueName };
