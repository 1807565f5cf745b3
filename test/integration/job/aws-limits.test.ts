// Real AWS limits that moto does not enforce (lib/aws/limits.ts): an ~87 KB job description (40
// VIDEO outputs with 1 KiB keys and watermarks) is planned, its SWF execution started with an input of
// at most 32,768 characters that references the TranscodeJob, every activity scheduled within its
// limit, and the job still ends (canceled here) with its workflow closed.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { setupHarness, type Harness } from './harness.js';
import { GROUP, VERSION } from '../../../lib/kube/resources.js';
import { SWF_LIMITS } from '../../../lib/aws/limits.js';

let h: Harness;

beforeAll(async () => {
  h = await setupHarness();
  await h.startOperator();
});
afterAll(async () => {
  await h?.close();
});

test('an 87 KB job description (40 outputs, the most 1 KiB keys admission lets through) works and the SWF input sent is at most 32,768 characters', async () => {
  const dir = 'long-directory-name/'.repeat(50).slice(0, 990);
  await h.s3.send(new PutObjectCommand({ Bucket: h.inBucket, Key: `${dir}/wm.png`, Body: Buffer.from('png bytes') }));
  const outputs = Array.from({ length: 40 }, (_, i) => ({
    output_type: 'VIDEO' as const,
    preset: '360p-16.9-generic',
    output_file: `/${dir}/v${i}.mp4`,
    watermark: { input_bucket: h.inBucket, input_file: `/${dir}/wm.png` },
  }));
  await h.createJob('big', outputs);
  const job = await h.runner.waitJob(
    'big',
    'Running with 40 tasks and 40 activities scheduled',
    (j) => j.status?.phase === 'Running' && (j.status.tasks ?? []).filter((t) => t.swf?.scheduled).length === 40,
    180_000,
  );
  expect(JSON.stringify(job.spec.job).length).toBeGreaterThan(80_000);

  const events = await h.history(job);
  const started = events.find((e) => e.eventType === 'WorkflowExecutionStarted')!;
  const input = started.workflowExecutionStartedEventAttributes!.input!;
  expect(input.length).toBeLessThanOrEqual(SWF_LIMITS.input);
  expect(JSON.parse(input)).toMatchObject({
    type: 'START_JOB',
    job_id: 'big',
    job: { namespace: h.ns, name: 'big' },
    data: { outputs: 40 },
    data_ref: `spec.job of TranscodeJob ${h.ns}/big`,
  });
  const scheduled = events.filter((e) => e.eventType === 'ActivityTaskScheduled');
  expect(scheduled).toHaveLength(40);
  for (const e of scheduled) {
    const i = e.activityTaskScheduledEventAttributes!.input!;
    expect(i.length).toBeLessThanOrEqual(SWF_LIMITS.input);
    expect(JSON.parse(i).job_id).toBe('big');
  }

  await h.kc
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: h.ns, plural: 'transcodejobs', name: 'big', body: { spec: { cancel: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  const done = await h.runner.waitJob(
    'big',
    'Canceled and closed',
    (j) => j.status?.phase === 'Canceled' && !!j.status.workflow?.closed,
    180_000,
  );
  expect(done.status?.outputs?.every((o) => o.status === 'Canceled')).toBe(true);
}, 420_000);
