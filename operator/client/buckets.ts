// S3 side of a TranscodeClient: managed buckets (create-if-missing + bucket policy set to the desired
// document) and existing buckets (HeadBucket + a permission probe, never changed or deleted).
import {
  S3Client,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { ClientReason } from '../../lib/schema/client-conditions.js';
import { stableJson } from '../../lib/kube/status.js';
import { isS3NotFound } from '../../lib/aws/errors.js';
import { awsErrorName, awsErrorText, awsStatus, isAccessDenied } from './aws-errors.js';
import type { PolicyDocument } from './policies.js';
import type { Problem } from './queues.js';

export type Role = 'input' | 'output';

/** Object key the permission probe reads (input) or writes and deletes (output). */
export const PROBE_KEY = '.cloudtranscode-access-probe';

async function bucketPolicy(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    return (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy;
  } catch (err) {
    if (awsErrorName(err) === 'NoSuchBucketPolicy' || awsStatus(err) === 404) return undefined;
    throw err;
  }
}

/**
 * Creates `bucket` if missing and makes its policy `policy`. Returns problems a person must fix (name
 * taken by another account) and the changes made.
 */
export async function ensureManagedBucket(
  s3: S3Client,
  region: string,
  role: Role,
  bucket: string,
  policy: PolicyDocument,
  changes: string[],
): Promise<Problem[]> {
  // CreateBucket is idempotent for our own buckets (200 in us-east-1, BucketAlreadyOwnedByYou elsewhere).
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
      }),
    );
  } catch (err) {
    const name = awsErrorName(err);
    if (name === 'BucketAlreadyExists' || isAccessDenied(err)) {
      return [
        {
          reason: ClientReason.BucketNameTaken,
          message: `${role} bucket name "${bucket}" is taken by another AWS account; set spec.buckets.${role}.name to another name`,
        },
      ];
    }
    if (name === 'InvalidBucketName')
      return [{ reason: ClientReason.InvalidBucketName, message: `S3 rejected the ${role} bucket name "${bucket}": ${awsErrorText(err)}` }];
    if (name !== 'BucketAlreadyOwnedByYou') throw err;
  }
  const current = await bucketPolicy(s3, bucket);
  let same = false;
  try {
    same = current !== undefined && stableJson(JSON.parse(current)) === stableJson(policy);
  } catch {
    same = false;
  }
  if (!same) {
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
    changes.push(`set policy of bucket ${bucket}`);
  }
  return [];
}

/** Checks that the stack can use an existing bucket the way its role needs. */
export async function verifyExistingBucket(s3: S3Client, role: Role, bucket: string, prefix: string): Promise<Problem[]> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (isAccessDenied(err))
      return [
        {
          reason: ClientReason.BucketAccessDenied,
          message: `the stack has no access to the ${role} bucket "${bucket}" (HeadBucket denied)`,
        },
      ];
    if (isS3NotFound(err)) return [{ reason: ClientReason.BucketNotFound, message: `${role} bucket "${bucket}" does not exist` }];
    throw err;
  }
  const key = `${prefix}${PROBE_KEY}`;
  if (role === 'input') {
    try {
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    } catch (err) {
      if (isAccessDenied(err)) {
        return [
          {
            reason: ClientReason.BucketAccessDenied,
            message: `the bucket policy of input bucket "${bucket}" does not allow the stack to GetObject on ${prefix}*`,
          },
        ];
      }
      if (!isS3NotFound(err)) throw err; // NoSuchKey: reading is allowed
    }
    return [];
  }
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'cloudtranscode access probe\n' }));
  } catch (err) {
    if (isAccessDenied(err)) {
      return [
        {
          reason: ClientReason.BucketAccessDenied,
          message: `the bucket policy of output bucket "${bucket}" does not allow the stack to PutObject on ${prefix}*`,
        },
      ];
    }
    throw err;
  }
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } catch (err) {
    // Writing works, which is what the stack needs; the leftover probe object is harmless but worth knowing.
    if (!isAccessDenied(err)) throw err;
  }
  return [];
}

export type BucketDeletion = 'deleted' | 'retained-not-empty' | 'missing';

/** Deletes a managed bucket: only when empty (RetainIfNotEmpty) or with all its objects (Delete). */
export async function deleteManagedBucket(s3: S3Client, bucket: string, policy: 'RetainIfNotEmpty' | 'Delete'): Promise<BucketDeletion> {
  try {
    for (;;) {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: policy === 'Delete' ? 1000 : 1 }));
      const keys = (page.Contents ?? []).map((o) => o.Key).filter((k): k is string => !!k);
      if (keys.length === 0) break;
      if (policy === 'RetainIfNotEmpty') return 'retained-not-empty';
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    return 'deleted';
  } catch (err) {
    if (awsErrorName(err) === 'NoSuchBucket' || (isS3NotFound(err) && awsErrorName(err) !== 'NoSuchKey')) return 'missing';
    throw new Error(`deleting bucket ${bucket} failed: ${awsErrorText(err)}`, { cause: err });
  }
}
