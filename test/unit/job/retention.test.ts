// operator/job/retention.ts: when a finished job may be deleted (TTL from the client or the global
// default; never before its end message went out or while its SWF execution is open).
import { retentionDecision, ttlMsFor, finishedAt, type RetentionInput } from '../../../operator/job/retention.js';
import type { TranscodeJob, TranscodeJobStatus } from '../../../lib/schema/transcode-job.js';
import type { TranscodeClient } from '../../../lib/schema/transcode-client.js';

const END = '2026-01-01T00:00:00Z';
const endMs = Date.parse(END);

function job(status: TranscodeJobStatus | undefined, source: 'sqs' | 'api' = 'sqs'): TranscodeJob {
  return {
    apiVersion: 'cloudtranscode.io/v1alpha1',
    kind: 'TranscodeJob',
    metadata: { name: 'j', namespace: 'ns', uid: 'u1', resourceVersion: '7' },
    spec: {
      clientRef: { name: 'c1' },
      jobId: 'j',
      source,
      job: { input_type: 'VIDEO', input_bucket: 'in', input_file: 'a.mp4', outputs: [] as never },
    },
    ...(status ? { status } : {}),
  };
}

const finished: TranscodeJobStatus = {
  phase: 'Failed',
  completedAt: END,
  published: ['job:end'],
  workflow: { workflowId: 'ct-u1', runId: 'r', closed: true },
};
const at = (ms: number, o: Partial<RetentionInput> = {}): RetentionInput => ({
  ttlMs: 2000,
  now: endMs + ms,
  swfEnabled: true,
  clientExists: true,
  ...o,
});

test('a running or pending job is kept', () => {
  expect(retentionDecision(job(undefined), at(1e9)).action).toBe('keep');
  expect(retentionDecision(job({ phase: 'Running', published: ['job:end'] }), at(1e9)).action).toBe('keep');
});

test('a finished job waits for the rest of its TTL, then is deleted with a record', () => {
  expect(retentionDecision(job(finished), at(500))).toEqual({ action: 'wait', afterMs: 1500 });
  expect(retentionDecision(job(finished), at(2000))).toEqual({ action: 'delete', record: true });
});

test('never before the end message went out, nor while the SWF execution is open', () => {
  const noEnd = { ...finished, published: ['job:started'] };
  expect(retentionDecision(job(noEnd), at(1e9))).toMatchObject({ action: 'keep', why: 'end message not sent yet' });
  const open = { ...finished, workflow: { workflowId: 'ct-u1', runId: 'r' } };
  expect(retentionDecision(job(open), at(1e9))).toMatchObject({ action: 'keep', why: 'SWF execution not closed yet' });
  // SWF recording off: the execution is not waited for.
  expect(retentionDecision(job(open), at(1e9, { swfEnabled: false })).action).toBe('delete');
  // Video-API jobs have no CT end message.
  expect(retentionDecision(job({ ...noEnd }, 'api'), at(1e9)).action).toBe('delete');
});

test('a job whose client is gone is deleted without a record (nobody can ask for it)', () => {
  expect(retentionDecision(job({ ...finished, published: [] }), at(2000, { clientExists: false }))).toEqual({
    action: 'delete',
    record: false,
  });
});

test('the end time falls back to the Completed condition; a job being deleted is left alone', () => {
  const st: TranscodeJobStatus = {
    ...finished,
    completedAt: undefined as never,
    conditions: [{ type: 'Completed', status: 'True', reason: 'Failed', message: '', lastTransitionTime: END }],
  };
  delete st.completedAt;
  expect(finishedAt(job(st))).toBe(endMs);
  const deleting = job(finished);
  deleting.metadata.deletionTimestamp = END;
  expect(retentionDecision(deleting, at(1e9)).action).toBe('keep');
});

test('the client TTL wins over the global default, 0 included', () => {
  const client = (ttl?: number) =>
    ({ spec: { principal: '*', ...(ttl !== undefined ? { jobRetention: { ttlSecondsAfterFinished: ttl } } : {}) } }) as TranscodeClient;
  expect(ttlMsFor(client(2), 604_800_000)).toBe(2000);
  expect(ttlMsFor(client(0), 604_800_000)).toBe(0);
  expect(ttlMsFor(client(), 604_800_000)).toBe(604_800_000);
  expect(ttlMsFor(undefined, 5000)).toBe(5000);
});
