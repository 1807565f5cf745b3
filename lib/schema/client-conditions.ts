// TranscodeClient status vocabulary: condition types, their reasons and the event reasons the client
// reconciler emits. One home so the reconciler, the SQS listener, the console and tests spell them alike.

/** Condition types on a TranscodeClient. `Ready` is the fold of the others (operator/client/checks.ts). */
export const ClientCondition = {
  Ready: 'Ready',
  QueuesReady: 'QueuesReady',
  BucketsReady: 'BucketsReady',
} as const;
export type ClientConditionType = (typeof ClientCondition)[keyof typeof ClientCondition];

/** Reasons of TranscodeClient conditions (CamelCase, as metav1.Condition wants). */
export const ClientReason = {
  // True
  Ready: 'Ready',
  Provisioned: 'Provisioned',
  Verified: 'Verified',
  Available: 'Available',
  // False: the client as a whole
  InvalidSpec: 'InvalidSpec',
  WaitingForJobs: 'WaitingForJobs',
  CleanupFailed: 'CleanupFailed',
  // False: AWS unreachable or throttled (retried with back-off)
  AwsError: 'AwsError',
  // False: queues
  QueueUrlMissing: 'QueueUrlMissing',
  InvalidQueueUrl: 'InvalidQueueUrl',
  QueueNotFound: 'QueueNotFound',
  QueueAccessDenied: 'QueueAccessDenied',
  QueuePolicyIncomplete: 'QueuePolicyIncomplete',
  // False: buckets
  InvalidBucketName: 'InvalidBucketName',
  BucketNameTaken: 'BucketNameTaken',
  BucketNotFound: 'BucketNotFound',
  BucketAccessDenied: 'BucketAccessDenied',
  Unknown: 'Unknown',
} as const;
export type ClientReasonName = (typeof ClientReason)[keyof typeof ClientReason];

/** Reasons of the Kubernetes events recorded on a TranscodeClient. */
export const ClientEventReason = {
  Ready: 'Ready',
  CleanupFailed: 'CleanupFailed',
  CleanupAbandoned: 'CleanupAbandoned',
  CleanedUp: 'CleanedUp',
} as const;
