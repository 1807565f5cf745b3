// End-to-end helpers: a namespace-scoped copy of the whole system (operator, api-server, runners)
// on the shared test environment, a Ready TranscodeClient, and reading its S3 objects back.
import { mkdirSync, createWriteStream } from 'node:fs';
import { join, dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { S3Client, GetObjectCommand, PutObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { useTestEnvironment, uniqueName } from './env.js';
import { prepareComponents, type Components } from '../env/components.js';
import { waitFor } from '../env/process.js';
import { GROUP, VERSION } from '../../lib/kube/resources.js';
import { s3Config } from '../../lib/aws/config.js';
import type { TranscodeClientStatus } from '../../lib/schema/transcode-client.js';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';

export interface Stack {
  ns: string;
  dir: string;
  kc: KubeConfig;
  objects: CustomObjectsApi;
  s3: S3Client;
  components: Components;
}

/** A namespace of our own, with operator + api-server scoped to it (lease, SWF domain too). */
export async function startStack(prefix: string, env: Record<string, string> = {}): Promise<Stack> {
  const info = useTestEnvironment();
  const ns = uniqueName(prefix);
  const dir = join(info.dir, ns);
  mkdirSync(dir, { recursive: true });
  const kc = new KubeConfig();
  kc.loadFromFile(info.kubeconfig);
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  const components = await prepareComponents(info, {
    dir,
    namespace: ns,
    env: { CT_NAMESPACE: ns, CT_LEASE_NAMESPACE: ns, CT_SWF_DOMAIN: ns, ...env },
  });
  await components.startOperator();
  await components.startApiServer();
  return { ns, dir, kc, objects: kc.makeApiClient(CustomObjectsApi), s3: new S3Client(s3Config()), components };
}

export async function readyClient(
  stack: Stack,
  name: string,
  spec: Record<string, unknown> = {},
): Promise<Required<Pick<TranscodeClientStatus, 'queues' | 'buckets'>>> {
  await stack.objects.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: stack.ns,
    plural: 'transcodeclients',
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'TranscodeClient', metadata: { name }, spec: { principal: '123456789012', ...spec } },
  });
  return waitFor(
    `TranscodeClient ${name} Ready`,
    async () => {
      const c = (await stack.objects.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: stack.ns,
        plural: 'transcodeclients',
        name,
      })) as {
        status?: TranscodeClientStatus;
      };
      const ready = c.status?.conditions?.find((x) => x.type === 'Ready');
      return ready?.status === 'True' && c.status?.queues && c.status.buckets
        ? { queues: c.status.queues, buckets: c.status.buckets }
        : undefined;
    },
    90_000,
    300,
  );
}

export async function listJobs(stack: Stack): Promise<TranscodeJob[]> {
  const list = (await stack.objects.listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: stack.ns,
    plural: 'transcodejobs',
  })) as { items: TranscodeJob[] };
  return list.items;
}

export async function putFile(stack: Stack, bucket: string, key: string, file: string): Promise<void> {
  await stack.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(file) }));
}

export async function download(stack: Stack, bucket: string, key: string, file: string): Promise<string> {
  mkdirSync(dirname(file), { recursive: true });
  const res = await stack.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  await pipeline(res.Body as Readable, createWriteStream(file));
  return file;
}

export async function listKeys(stack: Stack, bucket: string, prefix: string): Promise<string[]> {
  const res = await stack.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
}
