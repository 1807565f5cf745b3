// Deterministic names of a client's managed AWS resources. The same client always maps to the same
// names, which is what makes provisioning idempotent (create-if-missing) across crashes and replicas.
import { createHash } from 'node:crypto';

function hash(s: string, n: number): string {
  return createHash('sha256').update(s).digest('hex').slice(0, n);
}

export interface QueueNames {
  input: string;
  output: string;
  deadLetter: string;
}

const SQS_MAX = 80;

/** `<prefix><namespace>-<name>-input|-output|-dlq`, ≤80 chars of [A-Za-z0-9_-] (hash-shortened when needed). */
export function queueNames(prefix: string, namespace: string, name: string): QueueNames {
  let base = `${prefix}${namespace}-${name}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const longestSuffix = '-output'.length;
  if (base.length + longestSuffix > SQS_MAX) {
    const h = hash(`${prefix}\0${namespace}\0${name}`, 10);
    base = `${base.slice(0, SQS_MAX - longestSuffix - h.length - 1)}-${h}`;
  }
  return { input: `${base}-input`, output: `${base}-output`, deadLetter: `${base}-dlq` };
}

export interface BucketNames {
  input: string;
  output: string;
}

const S3_MAX = 63;

/** `<prefix><namespace>-<name>-input|-output`, lowercase, ≤63 chars (hash-shortened when needed). */
export function bucketNames(prefix: string, namespace: string, name: string): BucketNames {
  let base = `${prefix}${namespace}-${name}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-');
  const longestSuffix = '-output'.length;
  if (base.length + longestSuffix > S3_MAX) {
    const h = hash(`${prefix}\0${namespace}\0${name}`, 10);
    base = `${base.slice(0, S3_MAX - longestSuffix - h.length - 1).replace(/-+$/, '')}-${h}`;
  }
  return { input: `${base}-input`, output: `${base}-output` };
}

/** Why `name` cannot be an S3 bucket we create (S3 naming rules), or undefined when it is fine. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `bucket name "${name}" must be 3-63 characters long`;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return `bucket name "${name}" may only contain lowercase letters, digits, dots and hyphens, and must start and end with a letter or digit`;
  }
  if (name.includes('..')) return `bucket name "${name}" must not contain two adjacent dots`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return `bucket name "${name}" must not look like an IP address`;
  return undefined;
}

/** Parses an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name> or an emulator's). */
export function parseQueueUrl(url: string): { account: string; name: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const parts = u.pathname.split('/').filter(Boolean);
  if (parts.length !== 2 || !/^\d{12}$/.test(parts[0]!) || !/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(parts[1]!)) return undefined;
  return { account: parts[0]!, name: parts[1]! };
}
