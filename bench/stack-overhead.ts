// Issue 7 benchmark: the same 60 s 720p transcode (CT preset 720p-generic) (a) by ffmpeg directly,
// through the runner's own processor code, and (b) as a job through the whole stack
// (SQS → operator → api-server → runner → S3). Runs a/b alternately, reports medians, the ratio
// b/a and where the stack's extra time goes (from the job's CR timestamps).
//   node dist/bench/stack-overhead.js [rounds=3] [seconds=60]
import { mkdtempSync, copyFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { startEnvironment, envVars } from '../test/env/environment.js';
import { prepareComponents } from '../test/env/components.js';
import { waitFor } from '../test/env/process.js';
import { generateClip } from '../test/helpers/media.js';
import { GROUP, VERSION } from '../lib/kube/resources.js';
import { s3Config } from '../lib/aws/config.js';
import { createLogger } from '../lib/log.js';
import { CtClient } from '../sdk/index.js';
import { resolveVideoEncoding } from '../lib/presets/resolve.js';
import { ctVideoProcessor } from '../runner/processors/ct-video.js';
import { runCommand } from '../runner/ffmpeg.js';
import type { TranscodeJob } from '../lib/schema/transcode-job.js';

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 60);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function direct(clip: string, dir: string): Promise<number> {
  const enc = resolveVideoEncoding(
    { output_type: 'VIDEO', output_bucket: 'x-bench', output_file: 'out.mp4', preset: '720p-generic' },
    { width: 1280, height: 720 },
  );
  if (!enc.ok) throw new Error(enc.details);
  const work = join(dir, `direct-${Date.now()}`);
  mkdirSync(work, { recursive: true });
  const logger = createLogger('bench');
  logger.level = 'warn';
  const settings = { threads: 0, nice: 0 };
  const signal = new AbortController().signal;
  const started = performance.now();
  await ctVideoProcessor.process(
    {
      job: { uuid: 'bench', type: 'ct-video-transcoding', jobToken: 'x' } as never,
      dir: work,
      logger,
      signal,
      settings,
      download: async (_url, name) => {
        const f = join(work, `${name}.mp4`);
        copyFileSync(clip, f);
        return f;
      },
      ffmpeg: (cmd, label, totalSec) =>
        runCommand(cmd, { label, settings, signal, logger, ...(totalSec !== undefined ? { totalSec } : {}) }),
    },
    { input: { videoFileUrl: '/in', hasAudio: true }, output: { encoding: enc.value, fileName: 'out.mp4' } },
  );
  const ms = performance.now() - started;
  rmSync(work, { recursive: true, force: true });
  return ms;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ct-bench-overhead-'));
  const env = await startEnvironment(join(dir, 'env'));
  Object.assign(process.env, envVars(env.info));
  try {
    const ns = 'bench';
    const kc = new KubeConfig();
    kc.loadFromFile(env.info.kubeconfig);
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
    const c = await prepareComponents(env.info, {
      dir,
      namespace: ns,
      env: { CT_NAMESPACE: ns, CT_LEASE_NAMESPACE: ns, LOG_LEVEL: 'warn' },
    });
    await c.startOperator();
    await c.startApiServer();
    c.startRunner('bench-runner', { CT_RUNNER_CONCURRENCY: '1' });
    const objects = kc.makeApiClient(CustomObjectsApi);
    await objects.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: 'transcodeclients',
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'TranscodeClient',
        metadata: { name: 'bench' },
        spec: { principal: '123456789012' },
      },
    });
    const status = await waitFor(
      'client Ready',
      async () => {
        const o = (await objects.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: ns,
          plural: 'transcodeclients',
          name: 'bench',
        })) as {
          status?: {
            conditions?: { type: string; status: string }[];
            queues?: { inputUrl: string; outputUrl: string };
            buckets?: { input: string; output: string };
          };
        };
        return o.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ? o.status : undefined;
      },
      120_000,
      500,
    );
    const clip = await generateClip(join(dir, 'clip.mp4'), { durationSec: seconds, width: 1280, height: 720, fps: 30 });
    const s3 = new S3Client(s3Config());
    await s3.send(new PutObjectCommand({ Bucket: status.buckets!.input, Key: 'bench/clip.mp4', Body: readFileSync(clip) }));
    const client = new CtClient({ inputQueueUrl: status.queues!.inputUrl, outputQueueUrl: status.queues!.outputUrl });

    const a: number[] = [];
    const b: number[] = [];
    const phases: Record<string, number[]> = {
      'sqs→job created': [],
      'created→tasks planned (probe)': [],
      'planned→runner accepted': [],
      'accepted→success received': [],
      'success→result stored': [],
      'stored→JOB_COMPLETED': [],
    };
    // Warm-up: one stack job (first ffprobe/ffmpeg start, connections, SWF registration).
    for (let round = 0; round <= rounds; round++) {
      const sent = Date.now();
      const jobId = await client.startJob({
        input_type: 'VIDEO',
        input_bucket: status.buckets!.input,
        input_file: 'bench/clip.mp4',
        outputs: [
          { output_type: 'VIDEO', output_bucket: status.buckets!.output, output_file: `bench/out-${round}.mp4`, preset: '720p-generic' },
        ],
      });
      let end = 0;
      for await (const m of client.messages({ jobId, untilDone: true, waitSeconds: 1 })) {
        if (m.type === 'JOB_COMPLETED' || m.type === 'JOB_FAILED') end = Date.now();
        if (m.type === 'JOB_FAILED') throw new Error(`bench job failed: ${JSON.stringify(m)}`);
      }
      const job = (
        (await objects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: 'transcodejobs' })) as {
          items: TranscodeJob[];
        }
      ).items.find((j) => j.spec.jobId === jobId)!;
      if (round === 0) {
        console.log(`warm-up stack job: ${(end - sent) / 1000}s`);
        continue;
      }
      b.push(end - sent);
      const t = job.status!.tasks![0]!;
      const created = Date.parse(job.metadata.creationTimestamp!);
      const planned = Date.parse(t.createdAt);
      const started = Date.parse(t.startedAt!);
      const finished = Date.parse(t.finishedAt!);
      phases['sqs→job created']!.push(created - sent);
      phases['created→tasks planned (probe)']!.push(planned - created);
      phases['planned→runner accepted']!.push(started - planned);
      phases['accepted→success received']!.push(finished - started);
      phases['success→result stored']!.push(0);
      phases['stored→JOB_COMPLETED']!.push(end - finished);
      a.push(await direct(clip, dir));
      console.log(`round ${round}: direct ${(a.at(-1)! / 1000).toFixed(2)}s, stack ${(b.at(-1)! / 1000).toFixed(2)}s`);
    }
    const ma = median(a);
    const mb = median(b);
    console.log(`\n${seconds}s 1280x720 clip, preset 720p-generic, ${rounds} rounds (medians):`);
    console.log(`  (a) ffmpeg directly (runner processor code): ${(ma / 1000).toFixed(2)} s`);
    console.log(`  (b) through the stack (SQS → … → S3):        ${(mb / 1000).toFixed(2)} s`);
    console.log(`  ratio b/a: ${(mb / ma).toFixed(3)}`);
    console.log('  where the stack time goes (median ms; CR timestamps have 1 s resolution):');
    for (const [k, v] of Object.entries(phases)) if (k !== 'success→result stored') console.log(`    ${k.padEnd(32)} ${median(v)}`);
    await c.stop();
  } finally {
    await env.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
