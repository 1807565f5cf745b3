// The output publisher: a level-based controller over TranscodeJobs that sends every client message
// the job's state implies (lib/ct/events.ts) to the client's output queue, in order, and records what
// it sent in status.published (through lib/kube/status.ts) so a restart does not resend. At least
// once: a crash between sending and recording resends those messages; nothing is skipped.
// ACTIVITY_PROGRESS is not recorded, only throttled per task.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../lib/log.js';
import { updateStatus } from '../../lib/kube/status.js';
import { objectKey } from '../../lib/kube/object.js';
import { LABEL_CLIENT } from '../../lib/kube/resources.js';
import type { TranscodeClient } from '../../lib/schema/transcode-client.js';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';
import { JOB_END_KEY, planMessages, type PlannedMessage } from '../../lib/ct/events.js';
import type { CacheReader, Controller, KubeObject, ObjectKey, ReconcileResult } from '../runtime/index.js';
import type { SqsConfig } from './config.js';
import type { SendToClient } from './output.js';
import { publishLag, sqsPublished } from './metrics.js';

export interface PublisherDeps {
  kc: KubeConfig;
  jobs: CacheReader<TranscodeJob>;
  clients: CacheReader<TranscodeClient>;
  send: SendToClient;
  config: SqsConfig;
  log: Logger;
}

/** Jobs created through the video API are answered over HTTP; every other job has a CT client. */
function publishes(job: TranscodeJob): boolean {
  return job.spec.source !== 'api';
}

type ProgressSeen = Map<string, { at: number; progress: number | undefined }>;

const progressOfMessage = (p: PlannedMessage): number | undefined =>
  (p.message.data as { activity?: { progress?: number } }).activity?.progress;

/** The planned messages to send now: ACTIVITY_PROGRESS only when changed, at most once per interval per task. */
export function throttleProgress(
  planned: PlannedMessage[],
  seen: ProgressSeen | undefined,
  now: number,
  intervalMs: number,
): { toSend: PlannedMessage[]; requeueAfterMs: number | undefined } {
  let requeueAfterMs: number | undefined;
  const toSend: PlannedMessage[] = [];
  for (const p of planned) {
    const last = p.key === undefined && p.taskUuid ? seen?.get(p.taskUuid) : undefined;
    if (last && last.progress === progressOfMessage(p)) continue;
    if (last && now - last.at < intervalMs) {
      const wait = intervalMs - (now - last.at);
      requeueAfterMs = Math.min(requeueAfterMs ?? wait, wait);
      continue;
    }
    toSend.push(p);
  }
  return { toSend, requeueAfterMs };
}

/**
 * status.published as our last write left it. Only the publisher writes that list, so this is the
 * stored value even while the cache lags our write: the guarded patch starts from it and does not
 * conflict with our own previous write (docs/status-writes.md).
 */
class PublishedMemory {
  private readonly lists = new Map<ObjectKey, { uid: string | undefined; published: string[] }>();

  remember(key: ObjectKey, written: TranscodeJob): void {
    if (written.status?.published) this.lists.set(key, { uid: written.metadata.uid, published: written.status.published });
  }

  /** The cached job with status.published as we last wrote it, when the cache does not show that yet. */
  apply(key: ObjectKey, job: TranscodeJob): TranscodeJob {
    const mine = this.lists.get(key);
    const cached = job.status?.published ?? [];
    if (!mine || mine.uid !== job.metadata.uid || mine.published.length <= cached.length) return job;
    return { ...job, status: { ...(job.status ?? {}), published: mine.published } };
  }

  delete(key: ObjectKey): void {
    this.lists.delete(key);
  }
}

/** Adds `keys` to the job's status.published (a guarded patch starting from our last written list). */
async function recordPublished(kc: KubeConfig, memory: PublishedMemory, job: TranscodeJob, keys: string[]): Promise<void> {
  const { namespace, name } = job.metadata as { namespace: string; name: string };
  const key = objectKey(namespace, name);
  const written = await updateStatus<TranscodeJob & { status?: TranscodeJob['status'] }>(
    kc,
    'TranscodeJob',
    namespace,
    name,
    (obj) => {
      const have = new Set(obj.status?.published ?? []);
      const add = keys.filter((k) => !have.has(k));
      if (!add.length) return false;
      obj.status = { ...(obj.status ?? {}), published: [...(obj.status?.published ?? []), ...add] };
      return true;
    },
    { current: memory.apply(key, job) },
  );
  if (written) memory.remember(key, written);
}

export function publisherController(deps: PublisherDeps): Controller<TranscodeJob> {
  const { kc, jobs, clients, send, config, log } = deps;
  // Per job, so a job deleted before its end (kubectl delete) leaves nothing behind.
  const progressOf = new Map<ObjectKey, ProgressSeen>();
  // Keys this process sent, until the cache shows them in status.published: a reconcile can run on a
  // cached object older than our own status write, and must not resend what that write recorded.
  const sentKeys = new Map<ObjectKey, { uid: string | undefined; keys: Set<string>; unrecorded?: boolean }>();
  const writtenPublished = new PublishedMemory();

  async function reconcile(key: ObjectKey, job: TranscodeJob | undefined): Promise<ReconcileResult | void> {
    if (!job) {
      forget(key);
      return;
    }
    const recorded = job.status?.published ?? [];
    if (!publishes(job) || recorded.includes(JOB_END_KEY)) {
      forget(key);
      return;
    }
    const lastProgress = () => {
      let m = progressOf.get(key);
      if (!m) progressOf.set(key, (m = new Map()));
      return m;
    };
    let mine = sentKeys.get(key);
    if (mine && mine.uid !== job.metadata.uid) {
      sentKeys.delete(key); // same name, new job
      mine = undefined;
    }
    const published = new Set(recorded);
    if (mine) {
      for (const k of recorded) mine.keys.delete(k);
      for (const k of mine.keys) published.add(k);
      if (!mine.keys.size) sentKeys.delete(key);
      // The status write after an earlier send failed: record first (resending would duplicate).
      else if (mine.unrecorded) {
        await recordPublished(kc, writtenPublished, job, [...mine.keys]);
        mine.unrecorded = false;
      }
    }
    const ns = job.metadata.namespace ?? 'default';
    const client = clients.get(`${ns}/${job.spec.clientRef.name}`);
    const outputUrl = client?.status?.queues?.outputUrl;
    const planned = planMessages(job, published, { requireWorkflow: config.requireWorkflow });
    if (!planned.length) return;
    // Without an output queue yet the client watch re-triggers this job when the client gets one.
    if (!outputUrl) {
      log.debug({ job: key, client: job.spec.clientRef.name }, 'client has no output queue yet; messages wait');
      return;
    }

    const now = Date.now();
    const { toSend, requeueAfterMs } = throttleProgress(planned, progressOf.get(key), now, config.progressIntervalMs);
    if (!toSend.length) return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;

    const end = publishLag.startTimer();
    const sent: string[] = [];
    let sendError: unknown;
    try {
      for (const p of toSend) {
        await send(outputUrl, p.message);
        sqsPublished.inc({ type: p.message.type });
        if (p.key !== undefined) {
          sent.push(p.key);
          let entry = sentKeys.get(key);
          if (!entry) sentKeys.set(key, (entry = { uid: job.metadata.uid, keys: new Set() }));
          entry.keys.add(p.key);
        } else if (p.taskUuid) {
          lastProgress().set(p.taskUuid, { at: now, progress: progressOfMessage(p) });
        }
      }
    } catch (err) {
      sendError = err;
    }
    // Record what did go out even when a later send failed, so the retry resends only the rest.
    try {
      if (sent.length) await recordPublished(kc, writtenPublished, job, sent);
    } catch (err) {
      const entry = sentKeys.get(key);
      if (entry) entry.unrecorded = true;
      throw err;
    } finally {
      end();
    }
    if (sendError) throw sendError;
    log.info({ job: key, job_id: job.spec.jobId, sent: toSend.map((p) => p.message.type) }, 'published client messages');
    if (sent.includes(JOB_END_KEY)) progressOf.delete(key);
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  }

  function forget(key: ObjectKey): void {
    sentKeys.delete(key);
    progressOf.delete(key);
    writtenPublished.delete(key);
  }

  return {
    name: 'sqs-publisher',
    kind: 'TranscodeJob',
    concurrency: config.publisherConcurrency,
    // A client that becomes Ready (gets its output queue) releases the messages its jobs were holding.
    watches: [
      {
        kind: 'TranscodeClient',
        map: (obj: KubeObject) => {
          const ns = obj.metadata?.namespace;
          const name = obj.metadata?.name;
          if (!name) return [];
          return jobs
            .byLabel(LABEL_CLIENT, name, ns)
            .filter((j) => !(j.status?.published ?? []).includes(JOB_END_KEY))
            .map((j) => `${j.metadata.namespace}/${j.metadata.name}`);
        },
      },
    ],
    reconcile,
  };
}
