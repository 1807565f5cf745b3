// SQS side of a TranscodeClient: managed queues (create-if-missing, attributes set to the desired value)
// and adopted queues (verified, never changed or deleted).
import {
  SQSClient,
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type QueueAttributeName,
} from '@aws-sdk/client-sqs';
import { ClientReason, type ClientReasonName } from '../../lib/schema/client-conditions.js';
import { stableJson } from '../../lib/kube/status.js';
import { awsErrorName, awsErrorText, isAccessDenied, isQueueMissing } from './aws-errors.js';
import type { QueueNames } from './names.js';
import { parseQueueUrl } from './names.js';
import { accountOf, inputQueuePolicy, missingActions, outputQueuePolicy } from './policies.js';

export interface QueueStatus {
  inputUrl?: string;
  inputArn?: string;
  outputUrl?: string;
  outputArn?: string;
  deadLetterUrl?: string;
  deadLetterArn?: string;
}

/** A problem a person can act on: CamelCase reason + sentence. */
export interface Problem {
  reason: ClientReasonName;
  message: string;
}

export type QueueResult = { ok: true; status: QueueStatus; changes: string[] } | { ok: false; status: QueueStatus; problems: Problem[] };

async function attributes(sqs: SQSClient, url: string, names: QueueAttributeName[]): Promise<Record<string, string>> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }));
  return out.Attributes ?? {};
}

async function queueUrl(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (err) {
    if (isQueueMissing(err)) return undefined;
    throw err;
  }
}

/** Creates the queue if missing and sets `desired` attributes that differ. Returns url, arn and what changed. */
async function ensureQueue(
  sqs: SQSClient,
  name: string,
  desired: (arn: string) => Record<string, string>,
  changes: string[],
): Promise<{ url: string; arn: string }> {
  // CreateQueue without attributes is idempotent: it returns the URL of an existing queue of that name.
  let url: string | undefined;
  try {
    url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl;
  } catch (err) {
    // Some implementations refuse when the existing queue's attributes differ; look it up instead.
    if (awsErrorName(err) !== 'QueueAlreadyExists' && awsErrorName(err) !== 'QueueNameExists') throw err;
    url = await queueUrl(sqs, name);
  }
  if (!url) throw new Error(`CreateQueue ${name} returned no queue URL`);
  const current = await attributes(sqs, url, ['QueueArn', 'Policy', 'RedrivePolicy']);
  const arn = current['QueueArn'];
  if (!arn) throw new Error(`queue ${name} (${url}) reports no QueueArn`);
  const want = desired(arn);
  const differing: Record<string, string> = {};
  for (const [k, v] of Object.entries(want)) {
    if (!sameAttribute(k, current[k], v)) differing[k] = v;
  }
  if (Object.keys(differing).length > 0) {
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: differing }));
    changes.push(`set ${Object.keys(differing).join(', ')} of queue ${name}`);
  }
  return { url, arn };
}

function sameAttribute(name: string, current: string | undefined, desired: string): boolean {
  if (current === undefined) return false;
  if (name === 'Policy') return parseSame(current, desired);
  if (name === 'RedrivePolicy') {
    try {
      const a = JSON.parse(current) as { deadLetterTargetArn?: string; maxReceiveCount?: unknown };
      const b = JSON.parse(desired) as { deadLetterTargetArn?: string; maxReceiveCount?: unknown };
      return a.deadLetterTargetArn === b.deadLetterTargetArn && String(a.maxReceiveCount) === String(b.maxReceiveCount);
    } catch {
      return false;
    }
  }
  return current === desired;
}

function parseSame(a: string, b: string): boolean {
  try {
    return stableJson(JSON.parse(a)) === stableJson(JSON.parse(b));
  } catch {
    return false;
  }
}

export interface ManagedQueueSpec {
  names: QueueNames;
  clientPrincipal: string;
  stackPrincipal: string;
  maxReceiveCount: number;
}

export async function ensureManagedQueues(sqs: SQSClient, spec: ManagedQueueSpec): Promise<QueueResult> {
  const changes: string[] = [];
  const { names, clientPrincipal, stackPrincipal } = spec;
  // The input queue needs the DLQ's ARN; the output queue is independent.
  const [{ dlq, input }, output] = await Promise.all([
    (async () => {
      const dlq = await ensureQueue(sqs, names.deadLetter, () => ({}), changes);
      const input = await ensureQueue(
        sqs,
        names.input,
        (arn) => ({
          Policy: JSON.stringify(inputQueuePolicy(arn, clientPrincipal, stackPrincipal)),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: String(spec.maxReceiveCount) }),
        }),
        changes,
      );
      return { dlq, input };
    })(),
    ensureQueue(sqs, names.output, (arn) => ({ Policy: JSON.stringify(outputQueuePolicy(arn, clientPrincipal, stackPrincipal)) }), changes),
  ]);
  return {
    ok: true,
    changes,
    status: {
      inputUrl: input.url,
      inputArn: input.arn,
      outputUrl: output.url,
      outputArn: output.arn,
      deadLetterUrl: dlq.url,
      deadLetterArn: dlq.arn,
    },
  };
}

// Minimum grants for an adopted queue: what CT's components and clients actually call (docs/client-resources.md).
const REQUIRED = {
  input: { client: ['sqs:SendMessage'], stack: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'] },
  output: { client: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'], stack: ['sqs:SendMessage'] },
} as const;

const short = (actions: string[]) => actions.map((a) => a.replace(/^sqs:/, '')).join(', ');

/**
 * Verifies an existing queue: it exists, the stack can read its attributes, and its policy grants the
 * client and the stack what they need. A principal in the queue's own account may be authorised by
 * its IAM policies instead, which a queue policy cannot show, so only cross-account grants are checked.
 */
async function verifyQueue(
  sqs: SQSClient,
  role: 'input' | 'output',
  url: string,
  clientPrincipal: string,
  stackPrincipal: string,
): Promise<{ arn?: string; problems: Problem[] }> {
  const field = `spec.queues.${role}Url`;
  if (!parseQueueUrl(url)) {
    return {
      problems: [
        {
          reason: ClientReason.InvalidQueueUrl,
          message: `${field} "${url}" is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)`,
        },
      ],
    };
  }
  let attrs: Record<string, string>;
  try {
    attrs = await attributes(sqs, url, ['QueueArn', 'Policy']);
  } catch (err) {
    if (isQueueMissing(err)) return { problems: [{ reason: ClientReason.QueueNotFound, message: `${role} queue ${url} does not exist` }] };
    if (isAccessDenied(err)) {
      return {
        problems: [
          {
            reason: ClientReason.QueueAccessDenied,
            message: `the stack may not read the attributes of the ${role} queue ${url} (sqs:GetQueueAttributes denied)`,
          },
        ],
      };
    }
    throw err;
  }
  const arn = attrs['QueueArn'];
  const queueAccount = arn ? accountOf(arn) : parseQueueUrl(url)?.account;
  const policy = attrs['Policy'];
  const problems: Problem[] = [];
  const check = (who: 'client' | 'stack', principal: string) => {
    if (principal !== '*' && accountOf(principal) === queueAccount) return;
    const missing = missingActions(policy, principal, REQUIRED[role][who], arn ?? '*');
    if (missing.length > 0) {
      problems.push({
        reason: ClientReason.QueuePolicyIncomplete,
        message: `${role} queue policy does not allow the ${who} (${principal}) to ${short(missing)}${policy ? '' : ' (the queue has no policy)'}`,
      });
    }
  };
  check('stack', stackPrincipal);
  check('client', clientPrincipal);
  return { ...(arn ? { arn } : {}), problems };
}

export async function verifyAdoptedQueues(
  sqs: SQSClient,
  inputUrl: string | undefined,
  outputUrl: string | undefined,
  clientPrincipal: string,
  stackPrincipal: string,
): Promise<QueueResult> {
  const status: QueueStatus = {};
  const problems: Problem[] = [];
  for (const [role, url] of [
    ['input', inputUrl],
    ['output', outputUrl],
  ] as const) {
    if (!url) {
      problems.push({
        reason: ClientReason.QueueUrlMissing,
        message: `spec.queues.${role}Url is required when spec.queues.managed is false`,
      });
      continue;
    }
    const r = await verifyQueue(sqs, role, url, clientPrincipal, stackPrincipal);
    problems.push(...r.problems);
    if (r.problems.length === 0 || r.arn) {
      status[`${role}Url`] = url;
      if (r.arn) status[`${role}Arn`] = r.arn;
    }
  }
  // An adopted input queue's DLQ (if it has one) is the owner's business; we do not report or manage it.
  return problems.length ? { ok: false, status, problems } : { ok: true, status, changes: [] };
}

/** Deletes the managed queues (missing ones are fine). Returns the names deleted. */
export async function deleteManagedQueues(sqs: SQSClient, names: QueueNames): Promise<string[]> {
  const deleted: string[] = [];
  for (const name of [names.input, names.output, names.deadLetter]) {
    try {
      const url = await queueUrl(sqs, name);
      if (!url) continue;
      await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
      deleted.push(name);
    } catch (err) {
      if (!isQueueMissing(err)) throw new Error(`deleting queue ${name} failed: ${awsErrorText(err)}`, { cause: err });
    }
  }
  return deleted;
}
