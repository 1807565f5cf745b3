// Helpers for the TranscodeClient tests: start the real operator process (dist/operator/main.js) against
// the shared test environment, and read clients, queues and buckets back.
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { SQSClient, ListQueuesCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { S3Client, GetBucketPolicyCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { REPO_ROOT } from '../../env/paths.js';
import { spawnManaged, freePort, waitFor, type ManagedProcess } from '../../env/process.js';
import { envVars, type EnvironmentInfo } from '../../env/environment.js';
import { GROUP, VERSION } from '../../../lib/kube/resources.js';

export const STACK = 'arn:aws:iam::111122223333:role/ct-stack';

export interface Operator {
  proc: ManagedProcess;
  port: number;
  id: string;
  /** kill -9 the operator (and its supervisor). */
  kill9(): Promise<void>;
}

export async function startOperator(info: EnvironmentInfo, id: string, env: Record<string, string>): Promise<Operator> {
  const port = await freePort();
  const proc = spawnManaged(`operator-${id}`, process.execPath, [join(REPO_ROOT, 'dist', 'operator', 'main.js')], {
    logFile: join(info.dir, `operator-${id}.log`),
    env: {
      ...process.env,
      ...envVars(info),
      CT_HTTP_PORT: String(port),
      CT_HTTP_HOST: '127.0.0.1',
      CT_OPERATOR_ID: id,
      CT_STACK_PRINCIPAL: STACK,
      CT_NOT_READY_RECHECK_SECONDS: '1',
      CT_LEASE_DURATION_MS: '4000',
      LOG_LEVEL: 'debug',
      ...env,
    },
  });
  await waitFor(
    `operator ${id} /healthz`,
    async () => ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok ? true : undefined),
    30_000,
  );
  return {
    proc,
    port,
    id,
    async kill9() {
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await proc.exited;
    },
  };
}

export async function readyz(op: Operator): Promise<{ ready: boolean; leader: boolean }> {
  const res = await fetch(`http://127.0.0.1:${op.port}/readyz`);
  return (await res.json()) as { ready: boolean; leader: boolean };
}

export function clientsApi(kc: KubeConfig) {
  const api = kc.makeApiClient(CustomObjectsApi);
  const ref = (namespace: string) => ({ group: GROUP, version: VERSION, namespace, plural: 'transcodeclients' });
  return {
    create: (namespace: string, body: Record<string, any>) => api.createNamespacedCustomObject({ ...ref(namespace), body }),
    get: async (namespace: string, name: string) =>
      (await api.getNamespacedCustomObject({ ...ref(namespace), name })) as Record<string, any>,
    tryGet: async (namespace: string, name: string) => {
      try {
        return (await api.getNamespacedCustomObject({ ...ref(namespace), name })) as Record<string, any>;
      } catch (err) {
        if ((err as { code?: number }).code === 404) return undefined;
        throw err;
      }
    },
    replace: (namespace: string, name: string, body: Record<string, any>) =>
      api.replaceNamespacedCustomObject({ ...ref(namespace), name, body }),
    delete: (namespace: string, name: string) => api.deleteNamespacedCustomObject({ ...ref(namespace), name }),
  };
}

export function condition(obj: Record<string, any> | undefined, type: string): Record<string, any> | undefined {
  return (obj?.status?.conditions as Record<string, any>[] | undefined)?.find((c) => c.type === type);
}

/** Waits until condition `type` has `status` (and, if given, `reason`); returns the object. */
export async function waitForCondition(
  kc: KubeConfig,
  namespace: string,
  name: string,
  type: string,
  status: string,
  reason?: string,
  timeoutMs = 60_000,
): Promise<Record<string, any>> {
  const clients = clientsApi(kc);
  return waitFor(
    `${namespace}/${name} ${type}=${status}${reason ? ` (${reason})` : ''}`,
    async () => {
      const obj = await clients.tryGet(namespace, name);
      const c = condition(obj, type);
      return c && c.status === status && (!reason || c.reason === reason) && obj!.status.observedGeneration === obj!.metadata.generation
        ? obj
        : undefined;
    },
    timeoutMs,
    250,
  );
}

export async function eventsFor(
  kc: KubeConfig,
  namespace: string,
  name: string,
): Promise<{ reason: string; message: string; type: string; count: number }[]> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items.map((e) => ({ reason: e.reason ?? '', message: e.message ?? '', type: e.type ?? '', count: e.count ?? 0 }));
}

export function awsClients(info: EnvironmentInfo) {
  const creds = { accessKeyId: info.awsAccessKeyId, secretAccessKey: info.awsSecretAccessKey };
  return {
    sqs: new SQSClient({ region: info.awsRegion, endpoint: info.awsEndpoint, credentials: creds }),
    s3: new S3Client({ region: info.awsRegion, endpoint: info.awsEndpoint, credentials: creds, forcePathStyle: true }),
  };
}

export async function queueNamesWithPrefix(sqs: SQSClient, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1000, ...(NextToken ? { NextToken } : {}) }));
    out.push(...(page.QueueUrls ?? []).map((u) => u.split('/').pop()!));
    NextToken = page.NextToken;
  } while (NextToken);
  return out.sort();
}

export async function queueAttrs(sqs: SQSClient, url: string): Promise<Record<string, string>> {
  return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
}

export async function bucketPolicy(s3: S3Client, bucket: string): Promise<unknown> {
  return JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy!);
}

export async function bucketNames(s3: S3Client): Promise<string[]> {
  return ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name!).sort();
}
