// Dispatch and write economy of the job reconciler (issue 15): a job made as the SQS listener makes it
// goes Pending → Running with all its tasks in ONE status write (SWF start and probe side by side),
// with the hops in status.timing; a one-task job costs at most 3 + k operator writes — none for
// progress — and its end is written together with the closed SWF execution.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { setupHarness, type Harness } from './harness.js';
import { GROUP, VERSION, resourceOf } from '../../../lib/kube/resources.js';
import { Informer } from '../../../lib/kube/informer.js';
import { createLogger } from '../../../lib/log.js';
import { transcodeJobBody } from '../../../lib/ct/naming.js';
import { jobKubeWrites } from '../../../operator/job/metrics.js';
import type { TranscodeJob } from '../../../lib/schema/transcode-job.js';

let h: Harness;
const seen = new Map<string, TranscodeJob[]>();
let stopWatch: (() => void) | undefined;

beforeAll(async () => {
  h = await setupHarness();
  // Every version of every job, as a watch delivers them.
  const informer = new Informer<TranscodeJob>(h.kc, resourceOf('TranscodeJob'), createLogger('dispatch-test'), { namespace: h.ns });
  informer.addHandler({
    onUpsert: (obj) => {
      const name = obj.metadata.name!;
      seen.set(name, [...(seen.get(name) ?? []), structuredClone(obj)]);
    },
  });
  informer.start();
  await informer.synced;
  stopWatch = () => void informer.stop();
  await h.startOperator();
});
afterAll(async () => {
  stopWatch?.();
  await h?.close();
});

async function writes(write?: 'status' | 'metadata'): Promise<number> {
  const v = await jobKubeWrites.get();
  return v.values.filter((x) => !write || x.labels['write'] === write).reduce((s, x) => s + x.value, 0);
}

async function create(jobId: string, outputs: number): Promise<string> {
  const body = transcodeJobBody({
    namespace: h.ns,
    clientName: 'client1',
    jobId,
    source: 'sqs',
    job: {
      input_type: 'VIDEO',
      input_bucket: h.inBucket,
      input_file: 'videos/clip.mp4',
      outputs: Array.from({ length: outputs }, (_, i) => ({
        output_type: 'THUMB' as const,
        output_bucket: h.outBucket,
        output_file: `out/${jobId}/t${i}.jpg`,
        size: '64x36',
      })),
    },
  });
  await h.kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: h.ns,
    plural: 'transcodejobs',
    body,
  });
  return body.metadata.name!;
}

test('Pending → Running with every task in one write; the hops in status.timing, in order', async () => {
  const metadataBefore = await writes('metadata');
  const name = await create('one-write', 3);
  const running = await h.runner.waitJob(name, 'Running', (j) => j.status?.phase === 'Running');
  await new Promise((r) => setTimeout(r, 500)); // the watch delivers what followed
  const versions = (seen.get(name) ?? []).filter(
    (j, i, all) => all.findIndex((x) => x.metadata.resourceVersion === j.metadata.resourceVersion) === i,
  );
  const statuses = versions.map((j) => j.status).filter((s) => s !== undefined);
  // The first status the job ever had is Running with its three tasks: no Pending/probing write before it.
  expect(statuses[0]).toMatchObject({ phase: 'Running' });
  expect(statuses[0]!.tasks).toHaveLength(3);
  expect(statuses.some((s) => (s.phase ?? 'Pending') === 'Pending')).toBe(false);
  expect(await writes('metadata')).toBe(metadataBefore); // labels came with the job

  const t = running.status!.timing!;
  for (const hop of ['received', 'admitted', 'workflowStarted', 'probed', 'planned'] as const) expect(Date.parse(t[hop]!)).not.toBeNaN();
  expect(Date.parse(t.received!)).toBeLessThanOrEqual(Date.parse(t.admitted!));
  expect(Date.parse(t.admitted!)).toBeLessThanOrEqual(Date.parse(t.probed!));
  expect(Date.parse(t.admitted!)).toBeLessThanOrEqual(Date.parse(t.workflowStarted!));
  expect(Date.parse(t.probed!)).toBeLessThanOrEqual(Date.parse(t.planned!));
  // Its last write (activities scheduled) done, the job goes: no write of it lands in the next test's count.
  await h.runner.waitJob(name, 'scheduled', (j) => j.status!.tasks!.every((x) => !!x.swf?.scheduled));
  await h.kc
    .makeApiClient(CustomObjectsApi)
    .deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: h.ns, plural: 'transcodejobs', name });
  await new Promise((r) => setTimeout(r, 1000));
});

test('one task to the end: at most 3 + k operator writes, none for progress; the end and the SWF close in one write', async () => {
  const before = await writes();
  const name = await create('economy', 1);
  const planned = await h.runner.waitJob(name, 'scheduled', (j) => !!j.status?.tasks?.[0]?.swf?.scheduled);
  const uuid = planned.status!.tasks![0]!.uuid;
  await h.runner.accept(name, uuid);
  await h.runner.waitStarted(name, uuid);
  const afterStart = await writes();
  // Progress for longer than the old 3 s coalescing window: the job's progress is not written alone.
  for (const p of [20, 40, 60, 80]) {
    await h.runner.progress(name, uuid, p);
    await new Promise((r) => setTimeout(r, 1000));
  }
  expect(await writes()).toBe(afterStart);
  await h.runner.finish(name, uuid);
  const done = await h.runner.waitJob(name, 'Succeeded, SWF closed', (j) => j.status?.phase === 'Succeeded' && !!j.status.workflow?.closed);
  await new Promise((r) => setTimeout(r, 1500)); // trailing reconciles
  expect((await writes()) - before).toBeLessThanOrEqual(3 + 1);
  const firstEnd = (seen.get(name) ?? []).find((j) => j.status?.phase === 'Succeeded');
  expect(firstEnd?.status?.workflow?.closed).toBe(true);
  expect(done.status!.outputs!.map((o) => o.status)).toEqual(['Succeeded']);
  expect(Date.parse(done.status!.timing!.firstAccepted!)).toBeGreaterThanOrEqual(Date.parse(done.status!.timing!.planned!));
  expect(done.status!.progress).toBe(100);
});
