// The AWS side of one TranscodeClient reconcile: queues and buckets provisioned (managed) or verified
// (adopted). Each returns a Part: an outcome the pure checks (checks.ts) turn into conditions.
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { S3Client } from '@aws-sdk/client-s3';
import { ClientReason } from '../../lib/schema/client-conditions.js';
import type { TranscodeClient } from '../../lib/schema/transcode-client.js';
import type { OperatorConfig } from '../config.js';
import { awsErrorText } from './aws-errors.js';
import { ensureManagedBucket, verifyExistingBucket, type Role } from './buckets.js';
import { bucketNameProblem, bucketNames, queueNames, type QueueNames } from './names.js';
import { inputBucketPolicy, outputBucketPolicy, type PolicyDocument } from './policies.js';
import { ensureManagedQueues, verifyAdoptedQueues, type Problem, type QueueStatus } from './queues.js';

export interface Part {
  ok: boolean;
  problems: Problem[];
  /** Infrastructure failure (AWS unreachable, throttled): retry with back-off rather than poll. */
  transient: boolean;
}

export interface QueuesOutcome {
  part: Part;
  status: QueueStatus;
  changes: string[];
  /** Created by the stack (true) or adopted (false). */
  managed: boolean;
}

export interface BucketsOutcome {
  part: Part;
  names: { input?: string; output?: string };
  changes: string[];
}

export interface ResolvedBucket {
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

export function clientQueueNames(client: TranscodeClient, config: OperatorConfig): QueueNames {
  const prefix = client.spec?.queues?.prefix ?? config.queuePrefix;
  return queueNames(prefix, client.metadata.namespace ?? 'default', client.metadata.name ?? '');
}

export async function provisionQueues(sqs: SQSClient, client: TranscodeClient, config: OperatorConfig): Promise<QueuesOutcome> {
  const q = client.spec.queues ?? {};
  const managed = q.managed !== false;
  try {
    const r = managed
      ? await ensureManagedQueues(sqs, {
          names: clientQueueNames(client, config),
          clientPrincipal: client.spec.principal,
          stackPrincipal: config.stackPrincipal,
          maxReceiveCount: q.maxReceiveCount ?? 5,
        })
      : await verifyAdoptedQueues(sqs, q.inputUrl, q.outputUrl, client.spec.principal, config.stackPrincipal);
    return r.ok
      ? { part: { ok: true, problems: [], transient: false }, status: r.status, changes: r.changes, managed }
      : { part: { ok: false, problems: r.problems, transient: false }, status: r.status, changes: [], managed };
  } catch (err) {
    return {
      part: { ok: false, problems: [{ reason: ClientReason.AwsError, message: `SQS call failed: ${awsErrorText(err)}` }], transient: true },
      status: {},
      changes: [],
      managed,
    };
  }
}

/** Managed buckets: one policy per bucket, merging both roles when input and output share a bucket. */
function managedPolicies(
  resolved: ResolvedBucket[],
  client: TranscodeClient,
  config: OperatorConfig,
  problems: Problem[],
): Map<string, { roles: Role[]; doc: PolicyDocument }> {
  const policies = new Map<string, { roles: Role[]; doc: PolicyDocument }>();
  for (const b of resolved) {
    if (!b.managed) continue;
    const invalid = bucketNameProblem(b.name);
    if (invalid) {
      problems.push({ reason: ClientReason.InvalidBucketName, message: `spec.buckets.${b.role}: ${invalid}` });
      continue;
    }
    const policy = b.role === 'input' ? inputBucketPolicy : outputBucketPolicy;
    const doc = policy(b.name, b.prefix, client.spec.principal, config.stackPrincipal);
    const prev = policies.get(b.name);
    if (prev) {
      prev.roles.push(b.role);
      prev.doc.Statement.push(...doc.Statement);
    } else policies.set(b.name, { roles: [b.role], doc });
  }
  return policies;
}

export async function provisionBuckets(s3: S3Client, client: TranscodeClient, config: OperatorConfig): Promise<BucketsOutcome> {
  const resolved = resolveBuckets(client, config);
  const problems: Problem[] = [];
  const changes: string[] = [];
  const names: { input?: string; output?: string } = {};
  let transient = false;
  for (const [bucket, { roles, doc }] of managedPolicies(resolved, client, config, problems)) {
    try {
      const p = await ensureManagedBucket(s3, config.aws.region, roles[0]!, bucket, doc, changes);
      problems.push(...p);
      if (p.length === 0) for (const r of roles) names[r] = bucket;
    } catch (err) {
      transient = true;
      problems.push({
        reason: ClientReason.AwsError,
        message: `S3 call for ${roles.join('/')} bucket "${bucket}" failed: ${awsErrorText(err)}`,
      });
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
      problems.push({ reason: ClientReason.AwsError, message: `S3 check of ${b.role} bucket "${b.name}" failed: ${awsErrorText(err)}` });
    }
  }
  return { part: { ok: problems.length === 0, problems, transient }, names, changes };
}
