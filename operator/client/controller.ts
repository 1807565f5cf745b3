// TranscodeClient reconciler: provisions (or verifies) the client's SQS queues and S3 buckets with
// CT's entitlements, reports everything in status conditions a person can act on, keeps job counters,
// and cleans up on delete according to spec.deletionPolicy behind a finalizer. This class does the I/O
// and the one status write per reconcile; what the status says is decided in checks.ts, what a delete
// removes in cleanup.ts, the AWS calls live in provision.ts, queues.ts and buckets.ts.
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import type { KubeConfig } from '@kubernetes/client-node';
import { clientConfig, s3Config } from '../../lib/aws/config.js';
import { enforceAwsLimits } from '../../lib/aws/limits.js';
import { crs, type CrClient } from '../../lib/kube/crs.js';
import { CLIENT_FINALIZER, GROUP, LABEL_CLIENT } from '../../lib/kube/resources.js';
import { statusOf } from '../../lib/kube/client.js';
import { errorInfo, type Logger } from '../../lib/log.js';
import { ClientCondition, ClientEventReason } from '../../lib/schema/client-conditions.js';
import { TranscodeClient, type TranscodeClientStatus } from '../../lib/schema/transcode-client.js';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';
import { validator } from '../../lib/validate.js';
import type { OperatorConfig } from '../config.js';
import {
  getCondition,
  setCondition,
  stableJson,
  describeApiError,
  type CacheReader,
  type Condition,
  type Controller,
  type EventRecorder,
  type ObjectKey,
  type ReconcileResult,
  type RuntimeContext,
  type StatusWriter,
  type Watch,
} from '../runtime/index.js';
import { deleteManagedBucket } from './buckets.js';
import {
  cleanupFailedStatus,
  invalidSpecStatus,
  provisionedStatus,
  transient,
  waitingForJobsStatus,
  type ClientFacts,
  type StatusPlan,
} from './checks.js';
import { planCleanup, type CleanupPlan } from './cleanup.js';
import { provisionBuckets, provisionQueues } from './provision.js';
import { deleteManagedQueues } from './queues.js';

export { resolveBuckets } from './provision.js';

const validClient = validator(TranscodeClient, 'TranscodeClient');
const TERMINAL = new Set(['Succeeded', 'Failed', 'Canceled']);
/** Persisted across restarts so the "bounded number of cleanup attempts" survives a crash loop. */
export const CLEANUP_ATTEMPTS_ANNOTATION = `${GROUP}/cleanup-attempts`;

export interface ClientControllerOptions {
  kc: KubeConfig;
  log: Logger;
  config: OperatorConfig;
  sqs: SQSClient;
  s3: S3Client;
  jobs: CacheReader<TranscodeJob>;
  status: StatusWriter;
  events: EventRecorder;
  resource: ReturnType<RuntimeContext['resource']>;
}

/** The last provisioning of a client, reused until its inputs change or the drift check is due. */
interface Provisioned {
  fingerprint: string;
  at: number;
  facts: ClientFacts;
}

export class ClientController implements Controller<TranscodeClient> {
  readonly name = 'transcodeclient';
  readonly kind = 'TranscodeClient' as const;
  readonly concurrency: number;
  readonly watches: Watch[] = [
    {
      kind: 'TranscodeJob',
      map: (job) => {
        const client = job.metadata?.labels?.[LABEL_CLIENT];
        return client && job.metadata?.namespace ? [`${job.metadata.namespace}/${client}`] : [];
      },
    },
  ];
  private readonly clients: CrClient<TranscodeClient>;
  private readonly memo = new Map<ObjectKey, Provisioned>();

  constructor(private readonly o: ClientControllerOptions) {
    this.concurrency = o.config.clientConcurrency;
    this.clients = crs(o.kc).clients;
  }

  async reconcile(key: ObjectKey, obj: TranscodeClient | undefined): Promise<ReconcileResult | void> {
    if (!obj) {
      this.memo.delete(key);
      return;
    }
    if (obj.metadata.deletionTimestamp) return this.reconcileDelete(key, obj);

    const errors = validClient.errors(obj);
    if (errors.length > 0) {
      await this.write(obj, invalidSpecStatus(errors));
      return; // a spec change triggers the next reconcile
    }
    let client = obj;
    if (!client.metadata.finalizers?.includes(CLIENT_FINALIZER)) {
      const patched = await this.patchMetadata(client, { finalizers: [...(client.metadata.finalizers ?? []), CLIENT_FINALIZER] });
      if (!patched) return;
      client = patched;
    }
    const facts = await this.provision(key, client);
    const plan = provisionedStatus(facts, this.jobsOf(client));
    await this.write(client, plan);
    if (transient(facts)) {
      this.memo.delete(key);
      throw new Error(`AWS not reachable for ${key}: ${plan.ready.message}`);
    }
    return { requeueAfterMs: plan.ready.status === 'True' ? this.o.config.driftCheckMs : this.o.config.notReadyRecheckMs };
  }

  /** Provisions queues and buckets unless the last run with the same inputs succeeded recently. */
  private async provision(key: ObjectKey, client: TranscodeClient): Promise<ClientFacts> {
    const { config } = this.o;
    const fingerprint = stableJson({
      uid: client.metadata.uid,
      spec: client.spec,
      stack: config.stackPrincipal,
      q: config.queuePrefix,
      b: config.bucketPrefix,
    });
    const p = this.memo.get(key);
    const ok = p && p.facts.queues.part.ok && p.facts.buckets.part.ok;
    if (p && ok && p.fingerprint === fingerprint && Date.now() - p.at < config.driftCheckMs) return p.facts;
    const [queues, buckets] = await Promise.all([provisionQueues(this.o.sqs, client, config), provisionBuckets(this.o.s3, client, config)]);
    const changes = [...queues.changes, ...buckets.changes];
    if (changes.length) this.o.log.info({ key, changes }, 'provisioned client resources');
    const facts = { queues, buckets };
    this.memo.set(key, { fingerprint, at: Date.now(), facts });
    return facts;
  }

  private async reconcileDelete(key: ObjectKey, client: TranscodeClient): Promise<ReconcileResult | void> {
    if (!client.metadata.finalizers?.includes(CLIENT_FINALIZER)) return;
    const jobs = this.jobsOf(client);
    const waiting = jobs
      .filter((j) => !TERMINAL.has(j.status?.phase ?? ''))
      .map((j) => j.metadata?.name ?? '?')
      .sort();
    if (waiting.length > 0) {
      await this.write(client, waitingForJobsStatus(waiting, jobs));
      return { requeueAfterMs: 10_000 };
    }
    const plan = planCleanup(client, this.o.config, validClient(client));
    const attempts = Number(client.metadata.annotations?.[CLEANUP_ATTEMPTS_ANNOTATION] ?? '0') + 1;
    const done: string[] = [];
    const left = [...plan.left];
    try {
      await this.cleanUp(plan, done, left);
    } catch (err) {
      return this.cleanupFailed(key, client, plan, done, left, attempts, err);
    }
    await this.o.events.record(
      client,
      'Normal',
      ClientEventReason.CleanedUp,
      `deleted: ${done.length ? done.join(', ') : 'nothing'}; left in place: ${left.length ? left.join(', ') : 'nothing'}`,
    );
    await this.removeFinalizer(client);
    this.memo.delete(key);
  }

  /** Carries out the plan, recording what went into `done` and what stayed into `left`. */
  private async cleanUp(plan: CleanupPlan, done: string[], left: string[]): Promise<void> {
    if (plan.queues) done.push(...(await deleteManagedQueues(this.o.sqs, plan.queues)).map((n) => `queue ${n}`));
    for (const b of plan.buckets) {
      const r = await deleteManagedBucket(this.o.s3, b.name, plan.bucketPolicy);
      if (r === 'deleted') done.push(`bucket ${b.name}`);
      if (r === 'retained-not-empty') left.push(`${b.role} bucket ${b.name} (not empty; deletionPolicy.buckets: RetainIfNotEmpty)`);
    }
  }

  /** Bounded retries: count the attempt and retry with back-off, or give up and let the client go. */
  private async cleanupFailed(
    key: ObjectKey,
    client: TranscodeClient,
    plan: CleanupPlan,
    done: string[],
    left: string[],
    attempts: number,
    err: unknown,
  ): Promise<void> {
    const max = this.o.config.cleanupMaxAttempts;
    const message = `cleanup attempt ${attempts}/${max} failed: ${err instanceof Error ? err.message : String(err)}`;
    this.o.log.warn({ key, err: errorInfo(err), attempts }, 'client cleanup failed');
    await this.o.events.record(client, 'Warning', ClientEventReason.CleanupFailed, message);
    if (attempts >= max) {
      const behind = [...plan.planned.filter((p) => !done.includes(p)), ...left];
      await this.o.events.record(
        client,
        'Warning',
        ClientEventReason.CleanupAbandoned,
        `gave up cleaning up after ${attempts} attempts and removed the finalizer; left behind: ${behind.join(', ') || 'nothing'}; last error: ${message}`,
      );
      await this.removeFinalizer(client);
      this.memo.delete(key);
      return;
    }
    // Count first (the patch is guarded by resourceVersion), then report on the updated object.
    const counted = await this.patchMetadata(client, { annotations: { [CLEANUP_ATTEMPTS_ANNOTATION]: String(attempts) } });
    if (counted) await this.write(counted, cleanupFailedStatus(message), false);
    throw new Error(message, { cause: err });
  }

  private jobsOf(client: TranscodeClient): TranscodeJob[] {
    return this.o.jobs.byLabel(LABEL_CLIENT, client.metadata.name ?? '', client.metadata.namespace);
  }

  /** The single status write of a reconcile; then an event when Ready changed (status or reason). */
  private async write(client: TranscodeClient, plan: StatusPlan, announce = true): Promise<void> {
    const before = getCondition(client.status?.conditions, ClientCondition.Ready);
    const written = await this.o.status.update<TranscodeClientStatus, TranscodeClient>(this.o.resource, client, (current) => {
      let conds: Condition[] | undefined = current.status?.conditions;
      for (const c of plan.conditions) conds = setCondition(conds, c, current.metadata.generation);
      return { ...current.status, ...plan.rest, conditions: conds, observedGeneration: current.metadata.generation };
    });
    if (!announce || !written) return;
    const after = plan.ready;
    if (before?.status === after.status && before.reason === after.reason) return;
    if (after.status === 'True') await this.o.events.record(client, 'Normal', ClientEventReason.Ready, after.message);
    else await this.o.events.record(client, 'Warning', after.reason, after.message);
  }

  private async removeFinalizer(client: TranscodeClient): Promise<void> {
    await this.patchMetadata(client, { finalizers: (client.metadata.finalizers ?? []).filter((f) => f !== CLIENT_FINALIZER) });
  }

  private async patchMetadata(client: TranscodeClient, metadata: Record<string, unknown>): Promise<TranscodeClient | undefined> {
    const namespace = client.metadata.namespace ?? 'default';
    const name = client.metadata.name ?? '';
    try {
      // resourceVersion makes the list replacement (finalizers) safe against concurrent edits.
      return await this.clients.patch(namespace, name, { metadata: { ...metadata, resourceVersion: client.metadata.resourceVersion } });
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw new Error(`patching ${namespace}/${name} failed: ${describeApiError(err)}`, { cause: err });
    }
  }
}

export interface ClientControllerDeps {
  sqs?: SQSClient;
  s3?: S3Client;
}

/** Wires the controller into the operator runtime (operator/main.ts). */
export function clientController(ctx: RuntimeContext, config: OperatorConfig, deps: ClientControllerDeps = {}): ClientController {
  return new ClientController({
    kc: ctx.kc,
    log: ctx.log.child({ controller: 'transcodeclient' }),
    config,
    sqs: enforceAwsLimits(deps.sqs ?? new SQSClient(clientConfig(config.aws))),
    s3: enforceAwsLimits(deps.s3 ?? new S3Client(s3Config(config.aws))),
    jobs: ctx.cache<TranscodeJob>('TranscodeJob'),
    status: ctx.status,
    events: ctx.events,
    resource: ctx.resource('TranscodeClient'),
  });
}
