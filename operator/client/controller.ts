// TranscodeClient reconciler: provisions (or verifies) the client's SQS queues and S3 buckets with
// CT's entitlements, reports everything in status conditions a person can act on, keeps job counters,
// and cleans up on delete according to spec.deletionPolicy behind a finalizer.
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { clientConfig, s3Config } from '../../lib/aws/config.js';
import { enforceAwsLimits } from '../../lib/aws/limits.js';
import { CLIENT_FINALIZER, GROUP, LABEL_CLIENT, VERSION, KINDS } from '../../lib/kube/resources.js';
import { errorInfo } from '../../lib/log.js';
import { statusOf } from '../../lib/kube/client.js';
import { TranscodeClient, type TranscodeClientStatus } from '../../lib/schema/transcode-client.js';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';
import { validator } from '../../lib/validate.js';
import type { OperatorConfig } from '../config.js';
import {
  getCondition,
  setCondition,
  stableJson,
  describeApiError,
  type Condition,
  type Controller,
  type KubeObject,
  type ObjectKey,
  type ReconcileResult,
  type RuntimeContext,
} from '../runtime/index.js';
import { awsErrorText } from './aws-errors.js';
import { deleteManagedBucket, ensureManagedBucket, verifyExistingBucket, type Role } from './buckets.js';
import { bucketNameProblem, bucketNames, queueNames } from './names.js';
import { inputBucketPolicy, outputBucketPolicy, type PolicyDocument } from './policies.js';
import { deleteManagedQueues, ensureManagedQueues, verifyAdoptedQueues, type Problem, type QueueStatus } from './queues.js';

const validClient = validator(TranscodeClient, 'TranscodeClient');
const TERMINAL = new Set(['Succeeded', 'Failed', 'Canceled']);
/** Persisted across restarts so the "bounded number of cleanup attempts" survives a crash loop. */
export const CLEANUP_ATTEMPTS_ANNOTATION = `${GROUP}/cleanup-attempts`;

interface Part {
  ok: boolean;
  problems: Problem[];
  /** Infrastructure failure (AWS unreachable, throttled): retry with back-off rather than poll. */
  transient: boolean;
}

interface Provisioned {
  fingerprint: string;
  at: number;
  queues: QueueStatus;
  buckets: { input?: string; output?: string };
  queuesPart: Part;
  bucketsPart: Part;
  managedQueues: boolean;
}

export interface ClientControllerDeps {
  sqs?: SQSClient;
  s3?: S3Client;
}

interface ResolvedBucket {
  role: Role;
  name: string;
  managed: boolean;
  prefix: string;
}

export function resolveBuckets(client: TranscodeClient, config: OperatorConfig): ResolvedBucket[] {
  const ns = client.metadata.namespace ?? 'default';
  const defaults = bucketNames(config.bucketPrefix, ns, client.metadata.name ?? '');
  return (['input', 'output'] as const).map((role) => {
    const b = client.spec.buckets?.[role];
    return { role, name: b?.name ?? defaults[role], managed: b?.managed ?? true, prefix: b?.prefix ?? '' };
  });
}

export function clientController(ctx: RuntimeContext, config: OperatorConfig, deps: ClientControllerDeps = {}): Controller {
  const log = ctx.log.child({ controller: 'transcodeclient' });
  const sqs = enforceAwsLimits(deps.sqs ?? new SQSClient(clientConfig(config.aws)));
  const s3 = enforceAwsLimits(deps.s3 ?? new S3Client(s3Config(config.aws)));
  const api = ctx.kc.makeApiClient(CustomObjectsApi);
  const jobs = ctx.cache<TranscodeJob & KubeObject>('TranscodeJob');
  const resource = ctx.resource('TranscodeClient');
  const memo = new Map<ObjectKey, Provisioned>();

  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  async function patchMetadata(client: TranscodeClient, metadata: Record<string, unknown>): Promise<TranscodeClient | undefined> {
    try {
      return (await api.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          plural: KINDS.TranscodeClient.plural,
          namespace: client.metadata.namespace ?? 'default',
          name: client.metadata.name ?? '',
          // resourceVersion makes the list replacement (finalizers) safe against concurrent edits.
          body: { metadata: { ...metadata, resourceVersion: client.metadata.resourceVersion } },
        },
        mergePatch,
      )) as TranscodeClient;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw new Error(`patching ${client.metadata.namespace}/${client.metadata.name} failed: ${describeApiError(err)}`, { cause: err });
    }
  }

  function jobCounters(client: TranscodeClient): NonNullable<TranscodeClientStatus['jobs']> {
    const counters = { active: 0, succeeded: 0, failed: 0, canceled: 0 };
    for (const j of jobs.byLabel(LABEL_CLIENT, client.metadata.name ?? '', client.metadata.namespace)) {
      const phase = j.status?.phase;
      if (phase === 'Succeeded') counters.succeeded++;
      else if (phase === 'Failed') counters.failed++;
      else if (phase === 'Canceled') counters.canceled++;
      else counters.active++;
    }
    return counters;
  }

  function unfinishedJobs(client: TranscodeClient): string[] {
    return jobs
      .byLabel(LABEL_CLIENT, client.metadata.name ?? '', client.metadata.namespace)
      .filter((j) => !TERMINAL.has(j.status?.phase ?? ''))
      .map((j) => j.metadata?.name ?? '?')
      .sort();
  }

  async function provisionQueues(client: TranscodeClient): Promise<{ part: Part; status: QueueStatus; changes: string[] }> {
    const q = client.spec.queues ?? {};
    try {
      const r =
        q.managed === false
          ? await verifyAdoptedQueues(sqs, q.inputUrl, q.outputUrl, client.spec.principal, config.stackPrincipal)
          : await ensureManagedQueues(sqs, {
              names: queueNames(q.prefix ?? config.queuePrefix, client.metadata.namespace ?? 'default', client.metadata.name ?? ''),
              clientPrincipal: client.spec.principal,
              stackPrincipal: config.stackPrincipal,
              maxReceiveCount: q.maxReceiveCount ?? 5,
            });
      return r.ok
        ? { part: { ok: true, problems: [], transient: false }, status: r.status, changes: r.changes }
        : { part: { ok: false, problems: r.problems, transient: false }, status: r.status, changes: [] };
    } catch (err) {
      return {
        part: { ok: false, problems: [{ reason: 'AwsError', message: `SQS call failed: ${awsErrorText(err)}` }], transient: true },
        status: {},
        changes: [],
      };
    }
  }

  async function provisionBuckets(
    client: TranscodeClient,
  ): Promise<{ part: Part; names: { input?: string; output?: string }; changes: string[] }> {
    const resolved = resolveBuckets(client, config);
    const problems: Problem[] = [];
    const changes: string[] = [];
    const names: { input?: string; output?: string } = {};
    let transient = false;
    // Managed buckets: one policy per bucket, merging both roles when input and output share a bucket.
    const policies = new Map<string, { roles: Role[]; doc: PolicyDocument }>();
    for (const b of resolved) {
      if (!b.managed) continue;
      const invalid = bucketNameProblem(b.name);
      if (invalid) {
        problems.push({ reason: 'InvalidBucketName', message: `spec.buckets.${b.role}: ${invalid}` });
        continue;
      }
      const doc = (b.role === 'input' ? inputBucketPolicy : outputBucketPolicy)(
        b.name,
        b.prefix,
        client.spec.principal,
        config.stackPrincipal,
      );
      const prev = policies.get(b.name);
      if (prev) {
        prev.roles.push(b.role);
        prev.doc.Statement.push(...doc.Statement);
      } else policies.set(b.name, { roles: [b.role], doc });
    }
    for (const [bucket, { roles, doc }] of policies) {
      try {
        const p = await ensureManagedBucket(s3, config.aws.region, roles[0]!, bucket, doc, changes);
        problems.push(...p);
        if (p.length === 0) for (const r of roles) names[r] = bucket;
      } catch (err) {
        transient = true;
        problems.push({ reason: 'AwsError', message: `S3 call for ${roles.join('/')} bucket "${bucket}" failed: ${awsErrorText(err)}` });
      }
    }
    for (const b of resolved) {
      if (b.managed) continue;
      try {
        const p = await verifyExistingBucket(s3, b.role, b.name, b.prefix);
        problems.push(...p);
        if (p.length === 0) names[b.role] = b.name;
      } catch (err) {
        transient = true;
        problems.push({ reason: 'AwsError', message: `S3 check of ${b.role} bucket "${b.name}" failed: ${awsErrorText(err)}` });
      }
    }
    return { part: { ok: problems.length === 0, problems, transient }, names, changes };
  }

  function partCondition(type: string, part: Part, okReason: string, okMessage: string) {
    if (part.ok) return { type, status: 'True' as const, reason: okReason, message: okMessage };
    return {
      type,
      status: 'False' as const,
      reason: part.problems[0]?.reason ?? 'Unknown',
      message: part.problems.map((p) => p.message).join('; '),
    };
  }

  async function writeStatus(
    client: TranscodeClient,
    build: (current: TranscodeClient) => {
      conditions: { type: string; status: Condition['status']; reason: string; message: string }[];
      rest: Partial<TranscodeClientStatus>;
    },
  ): Promise<TranscodeClient | undefined> {
    return ctx.status.update<TranscodeClientStatus, TranscodeClient>(resource, client, (current) => {
      const { conditions, rest } = build(current);
      let conds = current.status?.conditions;
      for (const c of conditions) conds = setCondition(conds, c, current.metadata.generation);
      return { ...current.status, ...rest, conditions: conds, observedGeneration: current.metadata.generation };
    });
  }

  async function emitReadyTransition(
    client: TranscodeClient,
    before: Condition | undefined,
    after: { status: string; reason: string; message: string },
  ) {
    if (before?.status === after.status && before.reason === after.reason) return;
    if (after.status === 'True') await ctx.events.record(client, 'Normal', 'Ready', after.message);
    else await ctx.events.record(client, 'Warning', after.reason, after.message);
  }

  async function reconcileDelete(key: ObjectKey, client: TranscodeClient): Promise<ReconcileResult | void> {
    if (!client.metadata.finalizers?.includes(CLIENT_FINALIZER)) return;
    const waiting = unfinishedJobs(client);
    if (waiting.length > 0) {
      const shown = waiting.slice(0, 10).join(', ') + (waiting.length > 10 ? `, … (${waiting.length - 10} more)` : '');
      const cond = {
        type: 'Ready',
        status: 'False' as const,
        reason: 'WaitingForJobs',
        message: `deletion waits for ${waiting.length} unfinished job(s) of this client to finish or be canceled (spec.cancel: true): ${shown}`,
      };
      const before = getCondition(client.status?.conditions, 'Ready');
      await writeStatus(client, () => ({ conditions: [cond], rest: { jobs: jobCounters(client) } }));
      await emitReadyTransition(client, before, cond);
      return { requeueAfterMs: 10_000 };
    }
    const valid = validClient(client);
    const q = client.spec?.queues ?? {};
    const queuePolicy = client.spec?.deletionPolicy?.queues ?? 'Delete';
    const bucketPolicy = client.spec?.deletionPolicy?.buckets ?? 'RetainIfNotEmpty';
    const left: string[] = [];
    const done: string[] = [];
    /** What this cleanup means to delete; on give-up, whatever of it is not in `done` is left behind. */
    const planned: string[] = [];
    const attempts = Number(client.metadata.annotations?.[CLEANUP_ATTEMPTS_ANNOTATION] ?? '0') + 1;
    const names = queueNames(q.prefix ?? config.queuePrefix, client.metadata.namespace ?? 'default', client.metadata.name ?? '');
    const buckets = valid ? resolveBuckets(client, config) : [];
    if (q.managed === false) left.push('adopted queues (never deleted)');
    else if (queuePolicy === 'Retain')
      left.push(`queues ${names.input}, ${names.output}, ${names.deadLetter} (deletionPolicy.queues: Retain)`);
    else planned.push(...[names.input, names.output, names.deadLetter].map((n) => `queue ${n}`));
    const deletable = buckets.filter((b) => {
      if (!b.managed) left.push(`existing ${b.role} bucket ${b.name} (never deleted)`);
      else if (bucketPolicy === 'Retain') left.push(`${b.role} bucket ${b.name} (deletionPolicy.buckets: Retain)`);
      else if (b.prefix) left.push(`${b.role} bucket ${b.name} (shared: prefix ${b.prefix})`);
      else return true;
      return false;
    });
    planned.push(...deletable.map((b) => `bucket ${b.name}`));
    try {
      if (q.managed !== false && queuePolicy === 'Delete') done.push(...(await deleteManagedQueues(sqs, names)).map((n) => `queue ${n}`));
      for (const b of deletable) {
        const r = await deleteManagedBucket(s3, b.name, bucketPolicy === 'Delete' ? 'Delete' : 'RetainIfNotEmpty');
        if (r === 'deleted') done.push(`bucket ${b.name}`);
        if (r === 'retained-not-empty') left.push(`${b.role} bucket ${b.name} (not empty; deletionPolicy.buckets: RetainIfNotEmpty)`);
      }
    } catch (err) {
      const message = `cleanup attempt ${attempts}/${config.cleanupMaxAttempts} failed: ${err instanceof Error ? err.message : String(err)}`;
      log.warn({ key, err: errorInfo(err), attempts }, 'client cleanup failed');
      await ctx.events.record(client, 'Warning', 'CleanupFailed', message);
      if (attempts >= config.cleanupMaxAttempts) {
        const behind = [...planned.filter((p) => !done.includes(p)), ...left];
        await ctx.events.record(
          client,
          'Warning',
          'CleanupAbandoned',
          `gave up cleaning up after ${attempts} attempts and removed the finalizer; left behind: ${behind.join(', ') || 'nothing'}; last error: ${message}`,
        );
        await removeFinalizer(client);
        memo.delete(key);
        return;
      }
      // Count first (the patch is guarded by resourceVersion), then report on the updated object.
      const counted = await patchMetadata(client, { annotations: { [CLEANUP_ATTEMPTS_ANNOTATION]: String(attempts) } });
      if (counted) {
        await writeStatus(counted, () => ({
          conditions: [{ type: 'Ready', status: 'False', reason: 'CleanupFailed', message: `${message}; retrying` }],
          rest: {},
        }));
      }
      throw new Error(message, { cause: err });
    }
    await ctx.events.record(
      client,
      'Normal',
      'CleanedUp',
      `deleted: ${done.length ? done.join(', ') : 'nothing'}; left in place: ${left.length ? left.join(', ') : 'nothing'}`,
    );
    await removeFinalizer(client);
    memo.delete(key);
  }

  async function removeFinalizer(client: TranscodeClient): Promise<void> {
    await patchMetadata(client, { finalizers: (client.metadata.finalizers ?? []).filter((f) => f !== CLIENT_FINALIZER) });
  }

  async function reconcile(key: ObjectKey, obj: KubeObject | undefined): Promise<ReconcileResult | void> {
    if (!obj) {
      memo.delete(key);
      return;
    }
    let client = obj as TranscodeClient;
    if (client.metadata.deletionTimestamp) return reconcileDelete(key, client);

    const errors = validClient.errors(client);
    if (errors.length > 0) {
      const cond = { type: 'Ready', status: 'False' as const, reason: 'InvalidSpec', message: `the spec is invalid: ${errors.join('; ')}` };
      const before = getCondition(client.status?.conditions, 'Ready');
      await writeStatus(client, () => ({ conditions: [cond], rest: {} }));
      await emitReadyTransition(client, before, cond);
      return; // a spec change triggers the next reconcile
    }

    if (!client.metadata.finalizers?.includes(CLIENT_FINALIZER)) {
      const patched = await patchMetadata(client, { finalizers: [...(client.metadata.finalizers ?? []), CLIENT_FINALIZER] });
      if (!patched) return;
      client = patched;
    }

    const fingerprint = stableJson({
      uid: client.metadata.uid,
      spec: client.spec,
      stack: config.stackPrincipal,
      q: config.queuePrefix,
      b: config.bucketPrefix,
    });
    let p = memo.get(key);
    const fresh = p && p.fingerprint === fingerprint && p.queuesPart.ok && p.bucketsPart.ok && Date.now() - p.at < config.driftCheckMs;
    if (!fresh) {
      const [q, b] = await Promise.all([provisionQueues(client), provisionBuckets(client)]);
      const changes = [...q.changes, ...b.changes];
      if (changes.length) log.info({ key, changes }, 'provisioned client resources');
      p = {
        fingerprint,
        at: Date.now(),
        queues: q.status,
        buckets: b.names,
        queuesPart: q.part,
        bucketsPart: b.part,
        managedQueues: client.spec.queues?.managed !== false,
      };
      memo.set(key, p);
    }
    const prov = p!;
    const queuesCond = partCondition(
      'QueuesReady',
      prov.queuesPart,
      prov.managedQueues ? 'Provisioned' : 'Verified',
      prov.managedQueues
        ? 'input, output and dead-letter queues exist with the client and stack entitlements'
        : 'the adopted input and output queues exist and their policies grant the client and the stack what they need',
    );
    const bucketsCond = partCondition(
      'BucketsReady',
      prov.bucketsPart,
      'Available',
      `input bucket ${prov.buckets.input} and output bucket ${prov.buckets.output} are usable`,
    );
    const failing = [queuesCond, bucketsCond].filter((c) => c.status !== 'True');
    const readyCond = failing.length
      ? { type: 'Ready', status: 'False' as const, reason: failing[0]!.reason, message: failing.map((c) => c.message).join('; ') }
      : { type: 'Ready', status: 'True' as const, reason: 'Ready', message: 'queues and buckets are ready; the client can send commands' };

    const before = getCondition(client.status?.conditions, 'Ready');
    const written = await writeStatus(client, () => ({
      conditions: [queuesCond, bucketsCond, readyCond],
      // A transient AWS failure says nothing about the resources: keep the last known URLs/names.
      rest: {
        ...(prov.queuesPart.transient ? {} : { queues: prov.queues }),
        ...(prov.bucketsPart.transient ? {} : { buckets: prov.buckets }),
        jobs: jobCounters(client),
      },
    }));
    if (written) await emitReadyTransition(client, before, readyCond);

    if (prov.queuesPart.transient || prov.bucketsPart.transient) {
      memo.delete(key);
      throw new Error(`AWS not reachable for ${key}: ${readyCond.message}`);
    }
    if (readyCond.status !== 'True') return { requeueAfterMs: config.notReadyRecheckMs };
    return { requeueAfterMs: config.driftCheckMs };
  }

  return {
    name: 'transcodeclient',
    kind: 'TranscodeClient',
    concurrency: config.clientConcurrency,
    watches: [
      {
        kind: 'TranscodeJob',
        map: (job) => {
          const client = job.metadata?.labels?.[LABEL_CLIENT];
          return client && job.metadata?.namespace ? [`${job.metadata.namespace}/${client}`] : [];
        },
      },
    ],
    reconcile,
  };
}
