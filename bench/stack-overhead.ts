// Issues 7 and 18: what a job costs compared with the ffmpeg command it runs. Per case, side by side
// in one run, alternating the order every round after a warm-up:
//   (plain) ffmpeg itself: the command line a user would type for the same output, with exactly the
//           arguments the preset implies (built from the same preset data and option helpers as the
//           runner), local file in, local file out;
//   (a)     the runner's processor code on a local file (no HTTP, no S3);
//   (b)     a CT job through the whole stack (SQS → operator → api-server → runner → S3 → JOB_COMPLETED).
// The warm-up round runs a 5 s clip through both sides (first starts, connections, SWF registration).
// Cases: `video` — VIDEO preset 720p-generic; `hls` — HLS ladder 720/480/360 (3 rendition tasks, run
// one after the other by one runner; plain = the 3 rendition commands one after the other).
// Reports medians, (b)/(plain), (a)/(plain), every round, and where (b)'s time goes (task timestamps).
//   npm run build && node dist/bench/stack-overhead.js [rounds=3] [seconds=60] [cases=video,hls] [direct=yes|no]
// (direct=no skips (a) to save time on a busy machine.)
import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { startEnvironment, envVars } from '../test/env/environment.js';
import { prepareComponents } from '../test/env/components.js';
import { waitFor } from '../test/env/process.js';
import { generateClip } from '../test/helpers/media.js';
import { GROUP, VERSION } from '../lib/kube/resources.js';
import { s3Config } from '../lib/aws/config.js';
import { createLogger } from '../lib/log.js';
import { CtClient } from '../sdk/index.js';
import type { OutputSpec } from '../lib/schema/ct-job.js';
import { resolveVideoEncoding } from '../lib/presets/resolve.js';
import { renditionFps } from '../lib/media/ladder.js';
import { ctVideoOutputOptions, ctVideoProcessor } from '../runner/processors/ct-video.js';
import { hlsOutputOptions, hlsProcessor } from '../runner/processors/hls.js';
import { muxerFor } from '../runner/processors/common.js';
import type { JobContext } from '../runner/processors/types.js';
import { openInput } from '../runner/input.js';
import { runCommand } from '../runner/ffmpeg.js';
import type { TranscodeJob } from '../lib/schema/transcode-job.js';

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 60);
const cases = (process.argv[4] ?? 'video,hls').split(',') as CaseName[];
const withDirect = (process.argv[5] ?? 'yes') !== 'no';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

type CaseName = 'video' | 'hls';
const FRAME = { width: 1280, height: 720 };
const FPS = 30;
const LADDER = [720, 480, 360];

function ffmpegPlain(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${err}`))));
  });
}

/** The plain command lines of a case (what a user would type), in `dir`. */
function plainCommands(c: CaseName, clip: string, dir: string): string[][] {
  if (c === 'video') {
    const enc = resolveVideoEncoding({ output_type: 'VIDEO', output_bucket: 'x', output_file: 'out.mp4', preset: '720p-generic' }, FRAME);
    if (!enc.ok) throw new Error(enc.details);
    const e = enc.value;
    return [
      [
        '-y',
        '-i',
        clip,
        ...ctVideoOutputOptions(e, true, undefined),
        '-movflags',
        '+faststart',
        '-f',
        muxerFor(e.container),
        join(dir, 'out.mp4'),
      ],
    ];
  }
  return LADDER.map((res) => [
    '-y',
    '-i',
    clip,
    ...hlsOutputOptions(res, renditionFps(res, FPS), false, false, join(dir, `out-${res}-fragmented.mp4`)),
    join(dir, `out-${res}.m3u8`),
  ]);
}

async function plain(c: CaseName, clip: string, dir: string): Promise<number> {
  const work = mkdtempSync(join(dir, 'plain-'));
  const cmds = plainCommands(c, clip, work);
  const started = performance.now();
  for (const args of cmds) await ffmpegPlain(args);
  const ms = performance.now() - started;
  rmSync(work, { recursive: true, force: true });
  return ms;
}

/** (a): the runner's processor on a local file (input opened the way the runner opens a download). */
async function direct(c: CaseName, clip: string, dir: string): Promise<number> {
  const work = mkdtempSync(join(dir, 'direct-'));
  const logger = createLogger('bench');
  logger.level = 'warn';
  const settings = { threads: 0, nice: 0 };
  const signal = new AbortController().signal;
  const ctx = (uuid: string, type: string): JobContext => ({
    job: { uuid, type, jobToken: 'x', payload: {} },
    dir: work,
    logger,
    signal,
    settings,
    download: () => Promise.reject(new Error('no other input')),
    openInput: (_url, name) => openInput(createReadStream(clip), join(work, `${uuid}-${name}`), signal, () => undefined),
    ffmpeg: (cmd, label, totalSec) => runCommand(cmd, { label, settings, signal, logger, ...(totalSec !== undefined ? { totalSec } : {}) }),
  });
  const media = { durationSec: seconds, hasVideo: true, hasAudio: true, ...FRAME, fps: FPS };
  const started = performance.now();
  if (c === 'video') {
    const enc = resolveVideoEncoding({ output_type: 'VIDEO', output_bucket: 'x', output_file: 'out.mp4', preset: '720p-generic' }, FRAME);
    if (!enc.ok) throw new Error(enc.details);
    const result = await ctVideoProcessor.process(ctx('bench-video', 'ct-video-transcoding'), {
      input: { videoFileUrl: '/in', hasAudio: true, media },
      output: { encoding: enc.value, fileName: 'out.mp4' },
    });
    for (const f of result.files) await f.ready; // returned while ffmpeg writes (its upload streams)
  } else {
    for (const res of LADDER) {
      const result = await hlsProcessor.process(ctx(`bench-hls-${res}`, 'vod-hls-transcoding'), {
        input: { videoFileUrl: '/in', separatedAudioFileUrl: [] },
        output: { resolution: res, fps: renditionFps(res, FPS), separatedAudio: false },
      });
      // The HLS processor returns while ffmpeg still writes (its upload streams): wait for the files.
      for (const f of result.files) await f.ready;
    }
  }
  const ms = performance.now() - started;
  rmSync(work, { recursive: true, force: true });
  return ms;
}

type Phases = Record<string, number>;

/** The runner's own timeline of each task (its debug log): input opened, ffmpeg ran, result delivered. */
function runnerPhases(logFile: string, uuids: string[]): Phases {
  const at: Record<string, Record<string, number>> = {};
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"jobUuid"')) continue;
    const l = JSON.parse(line) as { jobUuid?: string; msg?: string; time?: string };
    if (!l.jobUuid || !uuids.includes(l.jobUuid) || l.time === undefined || !l.msg) continue;
    (at[l.jobUuid] ??= {})[l.msg] ??= Date.parse(l.time);
  }
  const sum = (from: string, to: string) => uuids.reduce((t, u) => t + ((at[u]?.[to] ?? NaN) - (at[u]?.[from] ?? NaN)), 0);
  return {
    '  runner: job start→ffmpeg start': sum('job started', 'ffmpeg started'),
    '  runner: ffmpeg start→ffmpeg end': sum('ffmpeg started', 'ffmpeg ended'),
    '  runner: ffmpeg end→success done': sum('ffmpeg ended', 'job succeeded'),
  };
}

/** Where a finished job's time went, from its task timestamps (ms). */
function phasesOf(job: TranscodeJob, sent: number, end: number): Phases {
  const tasks = [...(job.status?.tasks ?? [])].sort((x, y) => Date.parse(x.startedAt!) - Date.parse(y.startedAt!));
  const created = Date.parse(job.metadata.creationTimestamp!);
  const planned = Date.parse(tasks[0]!.createdAt);
  let running = 0;
  let between = 0;
  tasks.forEach((t, i) => {
    running += Date.parse(t.finishedAt!) - Date.parse(t.startedAt!);
    if (i > 0) between += Date.parse(t.startedAt!) - Date.parse(tasks[i - 1]!.finishedAt!);
  });
  return {
    'sqs→job created (1 s resolution)': created - sent,
    'created→tasks planned (probe)': planned - created,
    'planned→first runner accept': Date.parse(tasks[0]!.startedAt!) - planned,
    'accept→success, summed over tasks': running,
    'success→next accept, summed': between,
    'last success→JOB_COMPLETED': end - Date.parse(tasks.at(-1)!.finishedAt!),
  };
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
    // Debug: the runner logs when each ffmpeg starts and ends (the breakdown below reads it).
    const runner = c.startRunner('bench-runner', { CT_RUNNER_CONCURRENCY: '1', LOG_LEVEL: 'debug' });
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
    const clip = await generateClip(join(dir, 'clip.mp4'), { durationSec: seconds, ...FRAME, fps: FPS });
    // The warm-up runs on a short clip: it is there for first starts and connections, not for the encode.
    const warm = await generateClip(join(dir, 'warm.mp4'), { durationSec: 5, ...FRAME, fps: FPS });
    const s3 = new S3Client(s3Config());
    for (const [key, file] of [
      ['bench/clip.mp4', clip],
      ['bench/warm.mp4', warm],
    ] as const) {
      await s3.send(
        new PutObjectCommand({ Bucket: status.buckets!.input, Key: key, Body: createReadStream(file), ContentLength: statSync(file).size }),
      );
    }
    const client = new CtClient({ inputQueueUrl: status.queues!.inputUrl, outputQueueUrl: status.queues!.outputUrl });
    mkdirSync(join(dir, 'work'), { recursive: true });
    for (const name of cases)
      console.log(
        `plain (${name}):\n${plainCommands(name, 'in.mp4', '.')
          .map((a) => `  ffmpeg ${a.join(' ')}`)
          .join('\n')}`,
      );

    const output = (name: CaseName, round: number): OutputSpec =>
      name === 'video'
        ? { output_type: 'VIDEO', output_bucket: status.buckets!.output, output_file: `bench/out-${round}.mp4`, preset: '720p-generic' }
        : { output_type: 'HLS', output_bucket: status.buckets!.output, output_file: `bench/hls-${round}/master.m3u8`, resolutions: LADDER };

    const stack = async (name: CaseName, round: number, input = 'bench/clip.mp4'): Promise<{ ms: number; phases: Phases }> => {
      const sent = Date.now();
      const jobId = await client.startJob({
        input_type: 'VIDEO',
        input_bucket: status.buckets!.input,
        input_file: input,
        outputs: [output(name, round)],
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
      const uuids = (job.status?.tasks ?? []).map((t) => t.uuid);
      return { ms: end - sent, phases: { ...phasesOf(job, sent, end), ...runnerPhases(runner.logFile, uuids) } };
    };

    const results = Object.fromEntries(
      cases.map((n) => [n, { plain: [] as number[], a: [] as number[], b: [] as number[], phases: [] as Phases[] }]),
    );
    for (let round = 0; round <= rounds; round++) {
      for (const name of cases) {
        const r = results[name]!;
        const work = join(dir, 'work');
        if (round === 0) {
          // Warm-up: first ffmpeg/ffprobe start, connections, SWF registration, page cache.
          const b = await stack(name, round, 'bench/warm.mp4');
          const p = await plain(name, warm, work);
          console.log(`[${name}] warm-up: stack ${s(b.ms)}, plain ${s(p)}`);
          continue;
        }
        // Alternate the order so drift in the machine's load does not favour one side.
        let p = 0;
        let a = 0;
        let b: { ms: number; phases: Phases };
        if (round % 2 === 1) {
          p = await plain(name, clip, work);
          if (withDirect) a = await direct(name, clip, work);
          b = await stack(name, round);
        } else {
          b = await stack(name, round);
          if (withDirect) a = await direct(name, clip, work);
          p = await plain(name, clip, work);
        }
        r.plain.push(p);
        r.a.push(a);
        r.b.push(b.ms);
        r.phases.push(b.phases);
        const rp = (k: string) => s(b.phases[`  runner: ${k}`]!);
        console.log(
          `[${name}] round ${round}: plain ${s(p)}, (a) ${s(a)}, (b) stack ${s(b.ms)} → b/plain ${(b.ms / p).toFixed(3)}, a/plain ${(a / p).toFixed(3)}` +
            ` (probe+plan ${s(b.phases['created→tasks planned (probe)']!)}, runner: open ${rp('job start→ffmpeg start')},` +
            ` ffmpeg ${rp('ffmpeg start→ffmpeg end')}, tail ${rp('ffmpeg end→success done')}, between tasks ${s(b.phases['success→next accept, summed']!)},` +
            ` completion ${s(b.phases['last success→JOB_COMPLETED']!)}; load ${loadavg()[0]!.toFixed(2)})`,
        );
      }
    }
    for (const name of cases) {
      const r = results[name]!;
      const mp = median(r.plain);
      const ma = median(r.a);
      const mb = median(r.b);
      const what = name === 'video' ? 'VIDEO preset 720p-generic' : `HLS ladder ${LADDER.join('/')} (3 tasks, one runner)`;
      console.log(
        `\n[${name}] ${seconds}s 1280x720 ${FPS} fps clip, ${what}, ${rounds} rounds after a warm-up (medians; load ${loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')}):`,
      );
      console.log(`  (plain) ffmpeg command line:             ${s(mp)}`);
      if (withDirect) console.log(`  (a) runner processor code, local file:   ${s(ma)}   a/plain ${(ma / mp).toFixed(3)}`);
      console.log(`  (b) through the stack (SQS → … → S3):    ${s(mb)}   b/plain ${(mb / mp).toFixed(3)}`);
      console.log(`  per round b/plain: ${r.b.map((b, i) => (b / r.plain[i]!).toFixed(3)).join(', ')}`);
      if (withDirect) console.log(`  per round a/plain: ${r.a.map((a, i) => (a / r.plain[i]!).toFixed(3)).join(', ')}`);
      console.log(`  where (b)'s time goes (median ms):`);
      for (const k of Object.keys(r.phases[0]!)) console.log(`    ${k.padEnd(36)} ${median(r.phases.map((ph) => ph[k]!))}`);
      console.log(
        `    ${'runner side beyond plain'.padEnd(36)} ${Math.round(median(r.phases.map((ph, i) => ph['accept→success, summed over tasks']! - r.plain[i]!)))}`,
      );
      console.log(
        `    ${'  of which ffmpeg beyond plain'.padEnd(36)} ${Math.round(median(r.phases.map((ph, i) => ph['  runner: ffmpeg start→ffmpeg end']! - r.plain[i]!)))}`,
      );
    }
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
