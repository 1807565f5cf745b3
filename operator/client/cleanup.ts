// What deleting a TranscodeClient removes and what it leaves, decided from the spec's deletionPolicy
// (pure); the reconciler carries the plan out and reports `done` and `left` in an event.
import type { TranscodeClient } from '../../lib/schema/transcode-client.js';
import type { OperatorConfig } from '../config.js';
import type { QueueNames } from './names.js';
import { clientQueueNames, resolveBuckets, type ResolvedBucket } from './provision.js';

export type BucketDeletionPolicy = 'Delete' | 'RetainIfNotEmpty';

export interface CleanupPlan {
  /** Managed queues to delete (undefined: adopted or retained). */
  queues?: QueueNames;
  buckets: ResolvedBucket[];
  bucketPolicy: BucketDeletionPolicy;
  /** What this cleanup means to delete; on give-up, whatever of it was not done is left behind. */
  planned: string[];
  /** What stays by policy, already known before any call. */
  left: string[];
}

/** `valid`: the spec passed validation (an invalid one may name no buckets we could trust). */
export function planCleanup(client: TranscodeClient, config: OperatorConfig, valid: boolean): CleanupPlan {
  const q = client.spec?.queues ?? {};
  const queuePolicy = client.spec?.deletionPolicy?.queues ?? 'Delete';
  const bucketPolicy = client.spec?.deletionPolicy?.buckets ?? 'RetainIfNotEmpty';
  const left: string[] = [];
  const planned: string[] = [];
  const names = clientQueueNames(client, config);
  let queues: QueueNames | undefined;
  if (q.managed === false) left.push('adopted queues (never deleted)');
  else if (queuePolicy === 'Retain')
    left.push(`queues ${names.input}, ${names.output}, ${names.deadLetter} (deletionPolicy.queues: Retain)`);
  else {
    planned.push(...[names.input, names.output, names.deadLetter].map((n) => `queue ${n}`));
    if (queuePolicy === 'Delete') queues = names;
  }
  const buckets = (valid ? resolveBuckets(client, config) : []).filter((b) => {
    if (!b.managed) left.push(`existing ${b.role} bucket ${b.name} (never deleted)`);
    else if (bucketPolicy === 'Retain') left.push(`${b.role} bucket ${b.name} (deletionPolicy.buckets: Retain)`);
    else if (b.prefix) left.push(`${b.role} bucket ${b.name} (shared: prefix ${b.prefix})`);
    else return true;
    return false;
  });
  planned.push(...buckets.map((b) => `bucket ${b.name}`));
  return { ...(queues ? { queues } : {}), buckets, bucketPolicy: bucketPolicy === 'Delete' ? 'Delete' : 'RetainIfNotEmpty', planned, left };
}
