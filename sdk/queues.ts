// Queue URLs of a TranscodeClient read from its status with a kubeconfig (no kubectl needed), for
// tools run by whoever administers the stack.
import { KubeConfig } from '@kubernetes/client-node';
import { crs } from '../lib/kube/crs.js';
import type { TranscodeClient } from '../lib/schema/transcode-client.js';

export interface ClientQueues {
  inputQueueUrl: string;
  outputQueueUrl: string;
}

export async function queuesOfTranscodeClient(name: string, namespace?: string, kubeconfigPath?: string): Promise<ClientQueues> {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  const ns = namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  let client: TranscodeClient;
  try {
    client = await crs(kc).clients.get(ns, name);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new Error(
      code === 404
        ? `TranscodeClient ${ns}/${name} does not exist`
        : `reading TranscodeClient ${ns}/${name} failed: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const q = client.status?.queues;
  if (!q?.inputUrl || !q.outputUrl) throw new Error(`TranscodeClient ${ns}/${name} has no queue URLs in its status yet (is it Ready?)`);
  return { inputQueueUrl: q.inputUrl, outputQueueUrl: q.outputUrl };
}

export interface QueueSource {
  inputQueueUrl?: string | undefined;
  outputQueueUrl?: string | undefined;
  client?: string | undefined;
  namespace?: string | undefined;
  kubeconfig?: string | undefined;
}

/** Flags first, then CT_INPUT_QUEUE_URL / CT_OUTPUT_QUEUE_URL, then the TranscodeClient's status. */
export async function resolveQueues(src: QueueSource, env: NodeJS.ProcessEnv = process.env): Promise<Partial<ClientQueues>> {
  const fromFlags = {
    inputQueueUrl: src.inputQueueUrl ?? env['CT_INPUT_QUEUE_URL'],
    outputQueueUrl: src.outputQueueUrl ?? env['CT_OUTPUT_QUEUE_URL'],
  };
  if (!src.client) return fromFlags;
  const fromClient = await queuesOfTranscodeClient(src.client, src.namespace, src.kubeconfig);
  return {
    inputQueueUrl: src.inputQueueUrl ?? fromClient.inputQueueUrl,
    outputQueueUrl: src.outputQueueUrl ?? fromClient.outputQueueUrl,
  };
}
