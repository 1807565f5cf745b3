// operator/job/admission.ts, operator/job/completion.ts, operator/job/pending.ts: the pure decisions
// of a Pending job, and the single rule that sets Completed.
import { decideAdmission } from '../../../operator/job/admission.js';
import { markCompleted } from '../../../operator/job/completion.js';
import { applyStart, cancelBeforeStart, markQueued } from '../../../operator/job/pending.js';
import { AdmittedReason, JobCondition } from '../../../lib/schema/job-conditions.js';
import type { TranscodeJob, TranscodeJobStatus } from '../../../lib/schema/transcode-job.js';
import type { TranscodeClient } from '../../../lib/schema/transcode-client.js';
import { jobFixture } from '../../helpers/fixtures.js';

function job(name: string, created: string, status?: TranscodeJobStatus, cancel = false): TranscodeJob {
  const outputs = [{ output_type: 'AUDIO', output_bucket: 'out', output_file: 'a.mp3' } as never];
  const metadata = { creationTimestamp: created as never, generation: 1 };
  return jobFixture({
    outputs,
    name,
    jobId: name,
    client: 'c1',
    inputBucket: 'in',
    metadata,
    spec: cancel ? { cancel: true } : {},
    ...(status ? { status } : {}),
  });
}

function client(max: number, buckets = true): TranscodeClient {
  return {
    apiVersion: 'cloudtranscode.io/v1alpha1',
    kind: 'TranscodeClient',
    metadata: { name: 'c1', namespace: 'ns' },
    spec: { limits: { maxConcurrentJobs: max }, ...(buckets ? { buckets: { input: { name: 'in' }, output: { name: 'out' } } } : {}) },
  } as TranscodeClient;
}

const me = job('j3', '2026-01-01T00:00:03Z');
const base = { key: 'ns/j3', job: me, admitting: new Set<string>() };

test('admission: a missing client or one whose buckets are unknown queues the job with a retry', () => {
  const missing = decideAdmission({ ...base, client: undefined, peers: [me] });
  expect(missing).toMatchObject({ admit: false, reason: AdmittedReason.ClientNotFound, requeueAfterMs: 30_000 });
  const notReady = decideAdmission({ ...base, client: client(5, false), peers: [me] });
  expect(notReady).toMatchObject({ admit: false, reason: AdmittedReason.ClientNotReady, requeueAfterMs: 10_000 });
});

test('admission: running jobs and older queued jobs take the slots first; canceled and younger ones do not', () => {
  const running = job('j1', '2026-01-01T00:00:01Z', { phase: 'Running' });
  const older = job('j2', '2026-01-01T00:00:02Z');
  const younger = job('j4', '2026-01-01T00:00:04Z');
  const canceled = job('j0', '2026-01-01T00:00:00Z', undefined, true);
  const peers = [running, older, younger, canceled, me];
  const full = decideAdmission({ ...base, client: client(2), peers });
  expect(full).toMatchObject({ admit: false, reason: AdmittedReason.ConcurrencyLimit });
  expect(full.admit ? '' : full.message).toBe('1 of 2 jobs of client c1 are running; 1 queued ahead of this one');
  expect(decideAdmission({ ...base, client: client(3), peers }).admit).toBe(true);
  // A peer this process just admitted counts as running although the cache still shows it Pending.
  const admitting = decideAdmission({ ...base, admitting: new Set(['ns/j2', 'ns/j4']), client: client(3), peers });
  expect(admitting).toMatchObject({ admit: false, reason: AdmittedReason.ConcurrencyLimit });
});

test('Completed is set exactly on a transition to a terminal phase, with the phase as reason', () => {
  const j = job('j1', '2026-01-01T00:00:01Z');
  const before: TranscodeJobStatus = {};
  const s: TranscodeJobStatus = {};
  markQueued(j, s, AdmittedReason.ConcurrencyLimit, 'wait');
  markCompleted(j, before, s);
  expect(s.conditions?.map((c) => c.type)).toEqual([JobCondition.Admitted]);

  const canceled = structuredClone(s);
  cancelBeforeStart(j, canceled, '2026-01-01T00:01:00.000Z');
  markCompleted(j, s, canceled);
  expect(canceled.conditions?.find((c) => c.type === JobCondition.Completed)).toMatchObject({
    status: 'True',
    reason: 'Canceled',
    message: 'the job was canceled before it started',
    observedGeneration: 1,
  });

  // Already terminal before: the condition is not touched again.
  const later = structuredClone(canceled);
  later.message = 'changed';
  markCompleted(j, canceled, later);
  expect(later.conditions?.find((c) => c.type === JobCondition.Completed)?.message).toBe('the job was canceled before it started');
});

test('a start whose input was rejected fails every output with the reason, and Completes', () => {
  const j = job('j1', '2026-01-01T00:00:01Z');
  const s: TranscodeJobStatus = {};
  const failure = { reason: 'GET_VIDEO_INFO_FAILED', message: 'not media' };
  applyStart(j, s, { nowIso: '2026-01-01T00:01:00.000Z', workflow: undefined, probe: undefined, failure, plan: undefined });
  markCompleted(j, {}, s);
  expect(s).toMatchObject({ phase: 'Failed', reason: 'GET_VIDEO_INFO_FAILED', tasks: [], progress: 0 });
  expect(s.outputs).toEqual([
    { index: 0, type: 'AUDIO', status: 'Failed', bucket: 'out', reason: 'GET_VIDEO_INFO_FAILED', details: 'not media' },
  ]);
  expect(s.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
    [JobCondition.Admitted, 'True', AdmittedReason.Admitted],
    [JobCondition.Completed, 'True', 'Failed'],
  ]);
});
