// TranscodeClient status vocabulary: condition types, their reasons and the event reasons the client
// reconciler emits. One home so the reconciler, the SQS listener, the console and tests spell them alike.
import { names, type ValueOf } from './common.js';

/** Condition types on a TranscodeClient. `Ready` is the fold of the others (operator/client/checks.ts). */
export const ClientCondition = names('Ready', 'QueuesReady', 'BucketsReady');
export type ClientConditionType = ValueOf<typeof ClientCondition>;

/** Reasons of TranscodeClient conditions (CamelCase, as metav1.Condition wants). */
export const ClientReason = names(
  // True
  'Ready',
  'Provisioned',
  'Verified',
  'Available',
  // False: the client as a whole
  'InvalidSpec',
  'WaitingForJobs',
  'CleanupFailed',
  // False: AWS unreachable or throttled (retried with back-off)
  'AwsError',
  // False: queues
  'QueueUrlMissing',
  'InvalidQueueUrl',
  'QueueNotFound',
  'QueueAccessDenied',
  'QueuePolicyIncomplete',
  // False: buckets
  'InvalidBucketName',
  'BucketNameTaken',
  'BucketNotFound',
  'BucketAccessDenied',
  'Unknown',
);
export type ClientReasonName = ValueOf<typeof ClientReason>;

/** Reasons of the Kubernetes events recorded on a TranscodeClient. */
export const ClientEventReason = names('Ready', 'CleanupFailed', 'CleanupAbandoned', 'CleanedUp');
