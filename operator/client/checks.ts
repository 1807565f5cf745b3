// What a TranscodeClient's status says, decided from facts without I/O. The live path runs a chain of
// checks (one per condition type) and folds them into `Ready`, the way cert-manager chains its
// certificate checks: Ready is True only when every check passes, else it carries the first failing
// reason and every failing message. A new condition is one check function added to CLIENT_CHECKS (plus,
// when it needs new facts, the I/O that gathers them in the reconciler).
import { ClientCondition, ClientReason, type ClientConditionType } from '../../lib/schema/client-conditions.js';
import type { TranscodeClientStatus } from '../../lib/schema/transcode-client.js';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';
import type { ConditionInput } from '../runtime/index.js';
import type { BucketsOutcome, Part, QueuesOutcome } from './provision.js';

export interface ClientConditionInput extends ConditionInput {
  type: ClientConditionType;
}

/** What provisioning found out about the client's AWS resources. */
export interface ClientFacts {
  queues: QueuesOutcome;
  buckets: BucketsOutcome;
}

export type Check = (facts: ClientFacts) => ClientConditionInput;

/** The single status write of one reconcile: conditions to set (Ready last) and other status fields. */
export interface StatusPlan {
  conditions: ClientConditionInput[];
  ready: ClientConditionInput;
  rest: Partial<TranscodeClientStatus>;
}

function partCondition(type: ClientConditionType, part: Part, okReason: string, okMessage: string): ClientConditionInput {
  if (part.ok) return { type, status: 'True', reason: okReason, message: okMessage };
  return {
    type,
    status: 'False',
    reason: part.problems[0]?.reason ?? ClientReason.Unknown,
    message: part.problems.map((p) => p.message).join('; '),
  };
}

export const queuesReady: Check = ({ queues }) =>
  queues.managed
    ? partCondition(
        ClientCondition.QueuesReady,
        queues.part,
        ClientReason.Provisioned,
        'input, output and dead-letter queues exist with the client and stack entitlements',
      )
    : partCondition(
        ClientCondition.QueuesReady,
        queues.part,
        ClientReason.Verified,
        'the adopted input and output queues exist and their policies grant the client and the stack what they need',
      );

export const bucketsReady: Check = ({ buckets }) =>
  partCondition(
    ClientCondition.BucketsReady,
    buckets.part,
    ClientReason.Available,
    `input bucket ${buckets.names.input} and output bucket ${buckets.names.output} are usable`,
  );

/** Order matters: the first failing check gives Ready its reason. */
export const CLIENT_CHECKS: readonly Check[] = [queuesReady, bucketsReady];

export function foldReady(conditions: readonly ClientConditionInput[]): ClientConditionInput {
  const failing = conditions.filter((c) => c.status !== 'True');
  if (failing.length === 0) {
    return {
      type: ClientCondition.Ready,
      status: 'True',
      reason: ClientReason.Ready,
      message: 'queues and buckets are ready; the client can send commands',
    };
  }
  return { type: ClientCondition.Ready, status: 'False', reason: failing[0]!.reason, message: failing.map((c) => c.message).join('; ') };
}

export function jobCounters(jobs: readonly TranscodeJob[]): NonNullable<TranscodeClientStatus['jobs']> {
  const counters = { active: 0, succeeded: 0, failed: 0, canceled: 0 };
  for (const j of jobs) {
    const phase = j.status?.phase;
    if (phase === 'Succeeded') counters.succeeded++;
    else if (phase === 'Failed') counters.failed++;
    else if (phase === 'Canceled') counters.canceled++;
    else counters.active++;
  }
  return counters;
}

/** True when an AWS failure (not a problem with the resources) kept a check from deciding. */
export function transient(facts: ClientFacts): boolean {
  return facts.queues.part.transient || facts.buckets.part.transient;
}

export function provisionedStatus(facts: ClientFacts, jobs: readonly TranscodeJob[], checks: readonly Check[] = CLIENT_CHECKS): StatusPlan {
  const results = checks.map((check) => check(facts));
  const ready = foldReady(results);
  return {
    conditions: [...results, ready],
    ready,
    // A transient AWS failure says nothing about the resources: keep the last known URLs/names.
    rest: {
      ...(facts.queues.part.transient ? {} : { queues: facts.queues.status }),
      ...(facts.buckets.part.transient ? {} : { buckets: facts.buckets.names }),
      jobs: jobCounters(jobs),
    },
  };
}

function notReady(reason: string, message: string, rest: Partial<TranscodeClientStatus> = {}): StatusPlan {
  const ready: ClientConditionInput = { type: ClientCondition.Ready, status: 'False', reason, message };
  return { conditions: [ready], ready, rest };
}

export function invalidSpecStatus(errors: readonly string[]): StatusPlan {
  return notReady(ClientReason.InvalidSpec, `the spec is invalid: ${errors.join('; ')}`);
}

/** Deletion blocked by the client's unfinished jobs (`waiting`: their names, sorted). */
export function waitingForJobsStatus(waiting: readonly string[], jobs: readonly TranscodeJob[]): StatusPlan {
  const shown = waiting.slice(0, 10).join(', ') + (waiting.length > 10 ? `, … (${waiting.length - 10} more)` : '');
  return notReady(
    ClientReason.WaitingForJobs,
    `deletion waits for ${waiting.length} unfinished job(s) of this client to finish or be canceled (spec.cancel: true): ${shown}`,
    { jobs: jobCounters(jobs) },
  );
}

export function cleanupFailedStatus(message: string): StatusPlan {
  return notReady(ClientReason.CleanupFailed, `${message}; retrying`);
}
