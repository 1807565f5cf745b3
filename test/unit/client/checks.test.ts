// operator/client/checks.ts and cleanup.ts: the TranscodeClient status decided from facts (the check
// chain folded into Ready), and what a delete removes or leaves per deletionPolicy.
import { ClientCondition, ClientReason } from '../../../lib/schema/client-conditions.js';
import type { TranscodeClient } from '../../../lib/schema/transcode-client.js';
import type { TranscodeJob } from '../../../lib/schema/transcode-job.js';
import type { OperatorConfig } from '../../../operator/config.js';
import {
  CLIENT_CHECKS,
  foldReady,
  invalidSpecStatus,
  jobCounters,
  provisionedStatus,
  waitingForJobsStatus,
  type Check,
  type ClientFacts,
} from '../../../operator/client/checks.js';
import { planCleanup } from '../../../operator/client/cleanup.js';

const ok = { ok: true, problems: [], transient: false };
function facts(over: { queues?: Partial<ClientFacts['queues']>; buckets?: Partial<ClientFacts['buckets']> } = {}): ClientFacts {
  return {
    queues: { part: ok, status: { inputUrl: 'http://q/in', outputUrl: 'http://q/out' }, changes: [], managed: true, ...over.queues },
    buckets: { part: ok, names: { input: 'in-b', output: 'out-b' }, changes: [], ...over.buckets },
  };
}
const job = (phase?: string) => ({ metadata: { name: `j-${phase}` }, status: phase ? { phase } : undefined }) as unknown as TranscodeJob;

test('all checks pass: QueuesReady, BucketsReady and Ready True, status carries URLs, names and counters', () => {
  const plan = provisionedStatus(facts(), [job('Succeeded'), job('Running'), job(undefined), job('Failed'), job('Canceled')]);
  expect(plan.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
    [ClientCondition.QueuesReady, 'True', ClientReason.Provisioned],
    [ClientCondition.BucketsReady, 'True', ClientReason.Available],
    [ClientCondition.Ready, 'True', ClientReason.Ready],
  ]);
  expect(plan.ready).toBe(plan.conditions[2]);
  expect(plan.rest).toEqual({
    queues: { inputUrl: 'http://q/in', outputUrl: 'http://q/out' },
    buckets: { input: 'in-b', output: 'out-b' },
    jobs: { active: 2, succeeded: 1, failed: 1, canceled: 1 },
  });
  expect(provisionedStatus(facts({ queues: { managed: false } }), []).conditions[0]!.reason).toBe(ClientReason.Verified);
});

test('Ready takes the first failing reason and every failing message; a transient failure keeps the last known names', () => {
  const plan = provisionedStatus(
    facts({
      queues: {
        part: {
          ok: false,
          transient: false,
          problems: [
            { reason: ClientReason.QueueNotFound, message: 'q1 missing' },
            { reason: ClientReason.QueueAccessDenied, message: 'q2 denied' },
          ],
        },
      },
      buckets: { part: { ok: false, transient: true, problems: [{ reason: ClientReason.AwsError, message: 'S3 down' }] } },
    }),
    [],
  );
  expect(plan.conditions[0]).toMatchObject({ status: 'False', reason: 'QueueNotFound', message: 'q1 missing; q2 denied' });
  expect(plan.conditions[1]).toMatchObject({ status: 'False', reason: 'AwsError', message: 'S3 down' });
  expect(plan.ready).toMatchObject({ type: 'Ready', status: 'False', reason: 'QueueNotFound', message: 'q1 missing; q2 denied; S3 down' });
  expect(plan.rest).toEqual({ queues: { inputUrl: 'http://q/in', outputUrl: 'http://q/out' }, jobs: jobCounters([]) });
});

test('a new check is one function in the chain: it becomes a condition and gates Ready', () => {
  const quota: Check = () => ({ type: 'QuotaReady' as never, status: 'False', reason: 'QuotaExceeded', message: 'too many clients' });
  const plan = provisionedStatus(facts(), [], [...CLIENT_CHECKS, quota]);
  expect(plan.conditions).toHaveLength(4);
  expect(plan.ready).toMatchObject({ status: 'False', reason: 'QuotaExceeded', message: 'too many clients' });
  expect(foldReady([])).toMatchObject({ status: 'True', reason: 'Ready' });
});

test('Ready-only plans: invalid spec, deletion waiting for jobs (at most 10 names shown)', () => {
  expect(invalidSpecStatus(['a is bad', 'b is bad'])).toMatchObject({
    conditions: [{ type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'the spec is invalid: a is bad; b is bad' }],
    rest: {},
  });
  const names = Array.from({ length: 12 }, (_, i) => `job-${String(i).padStart(2, '0')}`);
  const w = waitingForJobsStatus(names, [job('Running')]);
  expect(w.ready.reason).toBe('WaitingForJobs');
  expect(w.ready.message).toMatch(/^deletion waits for 12 unfinished job\(s\).*job-09, … \(2 more\)$/);
  expect(w.ready.message).not.toContain('job-10');
  expect(w.rest).toEqual({ jobs: { active: 1, succeeded: 0, failed: 0, canceled: 0 } });
});

const config = { queuePrefix: 'ct-', bucketPrefix: 'ct-' } as unknown as OperatorConfig;
const client = (spec: Record<string, unknown>) =>
  ({ metadata: { name: 'demo', namespace: 'ns' }, spec: { principal: '*', ...spec } }) as unknown as TranscodeClient;

test('cleanup plan: default policies delete managed queues and empty managed buckets', () => {
  const p = planCleanup(client({}), config, true);
  expect(p.queues).toEqual({ input: 'ct-ns-demo-input', output: 'ct-ns-demo-output', deadLetter: 'ct-ns-demo-dlq' });
  expect(p.buckets.map((b) => b.role)).toEqual(['input', 'output']);
  expect(p.bucketPolicy).toBe('RetainIfNotEmpty');
  expect(p.planned).toHaveLength(5);
  expect(p.left).toEqual([]);
});

test('cleanup plan: adopted, retained and shared resources are left, with the reason', () => {
  const p = planCleanup(
    client({
      queues: { managed: false, inputUrl: 'http://q/in', outputUrl: 'http://q/out' },
      buckets: { input: { managed: false, name: 'theirs' }, output: { name: 'shared', prefix: 'x/' } },
      deletionPolicy: { buckets: 'Delete' },
    }),
    config,
    true,
  );
  expect(p.queues).toBeUndefined();
  expect(p.buckets).toEqual([]);
  expect(p.planned).toEqual([]);
  expect(p.left).toEqual([
    'adopted queues (never deleted)',
    'existing input bucket theirs (never deleted)',
    'output bucket shared (shared: prefix x/)',
  ]);
  const r = planCleanup(client({ deletionPolicy: { queues: 'Retain', buckets: 'Retain' } }), config, true);
  expect(r.queues).toBeUndefined();
  expect(r.left).toHaveLength(3);
  // An invalid spec names no buckets we could trust: only the derived queues are cleaned up.
  const i = planCleanup(client({}), config, false);
  expect(i.buckets).toEqual([]);
  expect(i.queues).toBeDefined();
});
