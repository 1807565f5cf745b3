// Shared set-up of the job lifecycle integration tests: a namespace with a TranscodeClient, buckets
// and a generated clip in moto's S3, and the job controller running in this process on the real
// operator runtime (Manager: informers, work queue), recording into moto's SWF.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { S3Client, CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SWFClient, GetWorkflowExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-swf';
import { kubeConfigForTests, useTestEnvironment, uniqueName } from '../../helpers/env.js';
import { generateClip, generateAudio } from '../../helpers/media.js';
import { s3Config, clientConfig } from '../../../lib/aws/config.js';
import { createLogger } from '../../../lib/log.js';
import { GROUP, VERSION, LABEL_CLIENT } from '../../../lib/kube/resources.js';
import { Manager } from '../../../operator/runtime/index.js';
import { jobComponents } from '../../../operator/job/index.js';
import type { OutputSpec } from '../../../lib/schema/ct-job.js';
import type { TranscodeJob } from '../../../lib/schema/transcode-job.js';
import { FakeRunner } from './fake-runner.js';

export interface Harness {
  kc: KubeConfig;
  ns: string;
  s3: S3Client;
  swf: SWFClient;
  domain: string;
  inBucket: string;
  outBucket: string;
  runner: FakeRunner;
  env: NodeJS.ProcessEnv;
  startOperator(): Promise<void>;
  stopOperator(): Promise<void>;
  createJob(
    name: string,
    outputs: Partial<OutputSpec>[],
    opts?: { inputFile?: string; inputType?: 'VIDEO' | 'AUDIO'; labels?: boolean },
  ): Promise<void>;
  history(job: TranscodeJob): Promise<HistoryEvent[]>;
  close(): Promise<void>;
}

export async function setupHarness(opts: { stallSeconds?: number; maxConcurrentJobs?: number } = {}): Promise<Harness> {
  useTestEnvironment();
  const kc = kubeConfigForTests();
  const ns = uniqueName('job');
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  const s3 = new S3Client(s3Config());
  const swf = new SWFClient(clientConfig());
  const inBucket = `${ns}-in`;
  const outBucket = `${ns}-out`;
  await s3.send(new CreateBucketCommand({ Bucket: inBucket }));
  await s3.send(new CreateBucketCommand({ Bucket: outBucket }));
  const dir = mkdtempSync(join(tmpdir(), 'ct-job-test-'));
  const clip = await generateClip(join(dir, 'clip.mp4'), { durationSec: 10, width: 640, height: 360, fps: 25 });
  await s3.send(new PutObjectCommand({ Bucket: inBucket, Key: 'videos/clip.mp4', Body: readFileSync(clip) }));
  const audio = await generateAudio(join(dir, 'audio.m4a'), { durationSec: 4 });
  await s3.send(new PutObjectCommand({ Bucket: inBucket, Key: 'audio/song.m4a', Body: readFileSync(audio) }));
  await s3.send(
    new PutObjectCommand({ Bucket: inBucket, Key: 'videos/corrupt.mp4', Body: Buffer.from('this is not a video at all '.repeat(200)) }),
  );
  const custom = kc.makeApiClient(CustomObjectsApi);
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: 'transcodeclients',
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'TranscodeClient',
      metadata: { name: 'client1' },
      spec: {
        principal: '*',
        // The buckets made above, adopted: jobs may only name the client's own buckets.
        buckets: { input: { name: inBucket, managed: false }, output: { name: outBucket, managed: false } },
        limits: { maxConcurrentJobs: opts.maxConcurrentJobs ?? 10, priority: 50 },
      },
    },
  });
  const domain = uniqueName('dom');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CT_SWF_DOMAIN: domain,
    CT_SWF_POLL_BACKOFF_MS: '300',
    CT_STALL_SECONDS: String(opts.stallSeconds ?? 120),
    // FakeRunner plays the runner through CR writes without registering one: no NoRunnerForTaskType.
    CT_NO_RUNNER_GRACE_SECONDS: '3600',
  };
  let manager: Manager | undefined;
  const log = createLogger('job-test');
  const runner = new FakeRunner(kc, s3, ns);
  const h: Harness = {
    kc,
    ns,
    s3,
    swf,
    domain,
    inBucket,
    outBucket,
    runner,
    env,
    async startOperator() {
      manager = new Manager({ kc, log, component: 'job-test', identity: 'job-test', namespace: ns, resyncMs: 60_000 });
      const { controllers, runnables } = jobComponents(manager.context, { env, s3, swf });
      manager.add(...controllers).addRunnable(...runnables);
      await manager.start();
    },
    async stopOperator() {
      await manager?.stop();
      manager = undefined;
    },
    async createJob(name, outputs, o = {}) {
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: 'transcodejobs',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'TranscodeJob',
          metadata: { name, ...(o.labels === false ? {} : { labels: { [LABEL_CLIENT]: 'client1' } }) },
          spec: {
            clientRef: { name: 'client1' },
            jobId: name,
            job: {
              input_type: o.inputType ?? 'VIDEO',
              input_bucket: inBucket,
              input_file: o.inputFile ?? '/videos/clip.mp4',
              outputs: outputs.map((x) => ({
                output_bucket: outBucket,
                output_file: `/out/${name}/video.mp4`,
                output_type: 'VIDEO',
                ...x,
              })),
            },
          },
        },
      });
    },
    async history(job) {
      const events: HistoryEvent[] = [];
      let nextPageToken: string | undefined;
      do {
        const r = await swf.send(
          new GetWorkflowExecutionHistoryCommand({
            domain,
            execution: { workflowId: job.status!.workflow!.workflowId, runId: job.status!.workflow!.runId! },
            ...(nextPageToken ? { nextPageToken } : {}),
          }),
        );
        events.push(...(r.events ?? []));
        nextPageToken = r.nextPageToken;
      } while (nextPageToken);
      return events;
    },
    async close() {
      await h.stopOperator();
      await kc
        .makeApiClient(CoreV1Api)
        .deleteNamespace({ name: ns })
        .catch(() => undefined);
    },
  };
  return h;
}

/** Activity events of a history, by activity id: the sequence of event types. */
export function activityTimeline(events: HistoryEvent[]): Map<string, string[]> {
  const byEvent = new Map<number, string>();
  const out = new Map<string, string[]>();
  for (const e of events) {
    if (e.eventType === 'ActivityTaskScheduled') {
      const id = e.activityTaskScheduledEventAttributes!.activityId!;
      byEvent.set(e.eventId!, id);
      out.set(id, [...(out.get(id) ?? []), 'Scheduled']);
      continue;
    }
    const ref =
      e.activityTaskStartedEventAttributes?.scheduledEventId ??
      e.activityTaskCompletedEventAttributes?.scheduledEventId ??
      e.activityTaskFailedEventAttributes?.scheduledEventId ??
      e.activityTaskCanceledEventAttributes?.scheduledEventId ??
      e.activityTaskTimedOutEventAttributes?.scheduledEventId;
    if (ref === undefined) continue;
    const id = byEvent.get(ref)!;
    out.get(id)!.push(e.eventType!.replace('ActivityTask', ''));
  }
  return out;
}

export function eventTypes(events: HistoryEvent[]): string[] {
  return events.map((e) => e.eventType!);
}
