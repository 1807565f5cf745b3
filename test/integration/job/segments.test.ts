// Segment-parallel VIDEO encoding through the real stack (docs/segment-encoding.md): the job
// controller (this process) + the api-server + two of our runners, a 60 s source with audio.
//   - the job is split into 5 segments + 1 concat task, the segments run on both runners, the
//     output equals a whole-file encode of the same job (the client opted out) frame for frame:
//     same count and timestamps, a key frame at every boundary, A/V sync, PSNR ≥ 40 dB around every
//     boundary; no intermediate file is left in S3; SWF has one completed activity per segment;
//   - a runner killed mid-segment: only that segment is redone (stall watchdog), the job completes once;
//   - a cancel mid-fan-out: every segment and the concat end cancelled, nothing is left in S3.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../../lib/kube/resources.js';
import type { CtVideoSegmentPayload } from '../../../lib/peertube/job-types.js';
import { TaskState, type TaskStatus, type TranscodeJob } from '../../../lib/schema/transcode-job.js';
import type { TranscodeRunner } from '../../../lib/schema/transcode-runner.js';
import { type ManagedProcess } from '../../env/process.js';
import { spawnRunner } from '../../env/components.js';
import { envInfo } from '../../helpers/env.js';
import { generateClip } from '../../helpers/media.js';
import { psnrPerFrame, streamParams, videoPackets } from '../../helpers/frames.js';
import { startApiServer, createRegistrationSecret, type ApiServerProcess } from '../api-server/harness.js';
import { setupHarness, activityTimeline, type Harness } from './harness.js';

let h: Harness;
let api: ApiServerProcess;
let token: string;
let work: string;
const runners = new Map<string, ManagedProcess>();
// A bitrate high enough that two encodes of the same frame are close (PSNR compares them).
const OUTPUT = { output_type: 'VIDEO' as const, preset: '360p-4.3-generic', size: '320x240', video_bitrate: '2500k' };

function startRunner(name: string): void {
  const info = envInfo();
  runners.set(
    name,
    spawnRunner(info, {
      url: api.url,
      registrationToken: token,
      name,
      dir: work,
      logFile: join(info.dir, `runner-${h.ns}-${name}.log`),
      env: { CT_RUNNER_CONCURRENCY: '1', CT_RUNNER_UPDATE_INTERVAL: '1', CT_RUNNER_FFMPEG_THREADS: '1' },
    }),
  );
}

async function liveSegmentRunners(): Promise<string[]> {
  const r = (await h.kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: h.ns,
    plural: 'transcoderunners',
  })) as { items: TranscodeRunner[] };
  return r.items.filter((x) => x.status?.jobTypes?.includes('ct-video-segment')).map((x) => x.spec.runnerName);
}

async function waitRunners(names: string[]): Promise<void> {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const live = await liveSegmentRunners();
    if (names.every((n) => live.includes(n))) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`runners ${names.join(', ')} never asked for ct-video-segment`);
}

const fail = (j: TranscodeJob) => {
  if (j.status?.phase === 'Failed') throw new Error(`job failed: ${j.status.message} ${JSON.stringify(j.status.outputs)}`);
};

async function waitDone(name: string, phase = 'Succeeded'): Promise<TranscodeJob> {
  return h.runner.waitJob(
    name,
    phase,
    (j) => {
      if (phase !== 'Failed') fail(j);
      return j.status?.phase === phase && !!j.status.workflow?.closed;
    },
    400_000,
  );
}

async function keysUnder(prefix: string): Promise<string[]> {
  const r = await h.s3.send(new ListObjectsV2Command({ Bucket: h.outBucket, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

async function download(key: string, file: string): Promise<string> {
  const obj = await h.s3.send(new GetObjectCommand({ Bucket: h.outBucket, Key: key }));
  writeFileSync(file, Buffer.from(await obj.Body!.transformToByteArray()));
  return file;
}

const segmentsOf = (j: TranscodeJob): TaskStatus[] => (j.status?.tasks ?? []).filter((t) => t.type === 'ct-video-segment');

async function patchSpec(plural: 'transcodejobs' | 'transcodeclients', name: string, spec: Record<string, unknown>): Promise<void> {
  await h.kc
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: h.ns, plural, name, body: { spec } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
}

const setClientSegments = (segments: Record<string, unknown>) => patchSpec('transcodeclients', 'client1', { segments });

beforeAll(async () => {
  h = await setupHarness({ stallSeconds: 15 });
  Object.assign(h.env, { CT_SEGMENT_THRESHOLD_SECONDS: '30', CT_SEGMENT_SECONDS: '12', CT_NO_RUNNER_GRACE_SECONDS: '3600' });
  const info = envInfo();
  work = mkdtempSync(join(info.dir, 'job-seg-'));
  const src = await generateClip(join(work, 'long.mp4'), { durationSec: 60, width: 320, height: 240, fps: 25 });
  await h.s3.send(new PutObjectCommand({ Bucket: h.inBucket, Key: 'videos/long.mp4', Body: readFileSync(src) }));
  await h.startOperator();
  api = await startApiServer(h.ns);
  token = (await createRegistrationSecret(h.ns)).token;
  startRunner('seg-runner-1');
  startRunner('seg-runner-2');
  await waitRunners(['seg-runner-1', 'seg-runner-2']);
}, 180_000);

afterAll(async () => {
  for (const p of runners.values()) await p.stop();
  await api?.stop();
  await h?.close();
});

test('a 60 s source in 5 segments on 2 runners equals the whole-file encode; nothing left in S3; SWF per segment', async () => {
  await h.createJob('seg', [{ ...OUTPUT, output_file: '/out/seg/video.mp4' }], { inputFile: '/videos/long.mp4' });
  const done = await waitDone('seg');
  const tasks = done.status!.tasks!;
  const segments = segmentsOf(done);
  expect(segments).toHaveLength(5);
  expect(tasks.filter((t) => t.type === 'ct-video-concat')).toHaveLength(1);
  expect(tasks).toHaveLength(6);
  expect(tasks.every((t) => t.state === TaskState.COMPLETED)).toBe(true);
  expect(new Set(segments.map((t) => t.runner?.name))).toEqual(new Set(['seg-runner-1', 'seg-runner-2']));
  expect(done.status!.outputs![0]).toMatchObject({ status: 'Succeeded', keys: ['out/seg/video.mp4'] });
  expect(await keysUnder('out/seg/')).toEqual(['out/seg/video.mp4']);
  const timeline = activityTimeline(await h.history(done));
  for (const t of tasks) expect(timeline.get(t.uuid)).toEqual(['Scheduled', 'Started', 'Completed']);

  // The same job encoded whole (the client opts out): the reference.
  await setClientSegments({ enabled: false });
  await new Promise((r) => setTimeout(r, 1000)); // the operator's client cache sees the change
  await h.createJob('whole', [{ ...OUTPUT, output_file: '/out/whole/video.mp4' }], { inputFile: '/videos/long.mp4' });
  const ref = await waitDone('whole');
  expect(ref.status!.tasks!.map((t) => t.type)).toEqual(['ct-video-transcoding']);
  await setClientSegments({ enabled: true });

  const a = await download('out/whole/video.mp4', join(work, 'whole.mp4'));
  const b = await download('out/seg/video.mp4', join(work, 'seg.mp4'));
  const [pa, pb] = await Promise.all([videoPackets(a), videoPackets(b)]);
  expect(pa.length).toBe(1798); // 60 s at the preset's 29.97 fps
  expect(pb.length).toBe(pa.length);
  expect(pb.map((p) => p.pts.toFixed(3))).toEqual(pa.map((p) => p.pts.toFixed(3)));
  for (let i = 1; i < pb.length; i++) expect(pb[i]!.pts).toBeGreaterThan(pb[i - 1]!.pts);
  const starts = segments.map((t) => (t.payload as unknown as CtVideoSegmentPayload).output.segment.startFrame);
  expect(starts).toEqual([0, 360, 720, 1080, 1440]); // whole 2 s GOPs (60 frames)
  for (const s of starts) expect(pb[s]!.key).toBe(true);
  const [sa, sb] = await Promise.all([streamParams(a), streamParams(b)]);
  expect([sb.codec, sb.profile, sb.level, sb.pixFmt, sb.width, sb.height]).toEqual([sa.codec, sa.profile, sa.level, sa.pixFmt, 320, 240]);
  expect(Math.abs(sb.durationSec - sa.durationSec)).toBeLessThanOrEqual(1 / 29.97);
  expect(Math.abs(sb.audioDurationSec! - sb.durationSec)).toBeLessThanOrEqual(1024 / 48000 + 1e-3);
  const psnr = await psnrPerFrame(b, a);
  const around = starts.slice(1).flatMap((s) => [s - 1, s, s + 1]);
  const min = Math.min(...around.map((i) => psnr[i]!));
  process.stdout.write(`segmented vs whole-file: min PSNR at boundaries ${min} dB, min overall ${Math.min(...psnr)} dB\n`);
  expect(min).toBeGreaterThanOrEqual(40);
}, 600_000);

test('a runner killed mid-segment: only that segment is redone, the job completes once', async () => {
  await h.createJob('kill', [{ ...OUTPUT, output_file: '/out/kill/video.mp4' }], { inputFile: '/videos/long.mp4' });
  const running = await h.runner.waitJob(
    'kill',
    'a segment in progress on seg-runner-2',
    (j) => segmentsOf(j).some((t) => t.state === TaskState.PROCESSING && t.runner?.name === 'seg-runner-2' && (t.progress ?? 0) >= 1),
    300_000,
  );
  const victim = segmentsOf(running).find((t) => t.state === TaskState.PROCESSING && t.runner?.name === 'seg-runner-2')!;
  await runners.get('seg-runner-2')!.stop('SIGKILL');
  runners.delete('seg-runner-2');
  const done = await waitDone('kill');
  const segments = segmentsOf(done);
  const redone = segments.filter((t) => (t.timeouts ?? 0) > 0 || t.failures > 0);
  expect(redone.map((t) => t.uuid)).toEqual([victim.uuid]);
  expect(redone[0]!.timeouts).toBe(1);
  expect(redone[0]!.runner?.name).toBe('seg-runner-1');
  expect(done.status!.outputs![0]!.status).toBe('Succeeded');
  expect(await keysUnder('out/kill/')).toEqual(['out/kill/video.mp4']);
  const [p] = await Promise.all([videoPackets(await download('out/kill/video.mp4', join(work, 'kill.mp4')))]);
  expect(p.length).toBe(1798);
  // Every other segment ran once: one activity attempt each.
  const timeline = activityTimeline(await h.history(done));
  for (const t of segments.filter((x) => x.uuid !== victim.uuid))
    expect(timeline.get(t.uuid)).toEqual(['Scheduled', 'Started', 'Completed']);
  startRunner('seg-runner-2');
  await waitRunners(['seg-runner-1', 'seg-runner-2']);
}, 600_000);

test('cancel mid-fan-out: every segment and the concat end cancelled, nothing left in S3', async () => {
  await h.createJob('cancel', [{ ...OUTPUT, output_file: '/out/cancel/video.mp4' }], { inputFile: '/videos/long.mp4' });
  await h.runner.waitJob(
    'cancel',
    'one segment completed, one running',
    (j) => segmentsOf(j).some((t) => t.state === TaskState.COMPLETED) && segmentsOf(j).some((t) => t.state === TaskState.PROCESSING),
    300_000,
  );
  expect((await keysUnder('out/cancel/')).some((k) => k.includes('.ct-segments/'))).toBe(true);
  await patchSpec('transcodejobs', 'cancel', { cancel: true });
  const done = await waitDone('cancel', 'Canceled');
  const tasks = done.status!.tasks!;
  const completedBefore = tasks.filter((t) => t.state === TaskState.COMPLETED).map((t) => t.type);
  expect(completedBefore.every((t) => t === 'ct-video-segment')).toBe(true);
  for (const t of tasks.filter((x) => x.state !== TaskState.COMPLETED))
    expect([TaskState.CANCELLED, TaskState.PARENT_CANCELLED]).toContain(t.state);
  expect(tasks.find((t) => t.type === 'ct-video-concat')!.state).not.toBe(TaskState.COMPLETED);
  expect(done.status!.outputs![0]!.status).toBe('Canceled');
  const end = Date.now() + 30_000;
  let left = await keysUnder('out/cancel/');
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    left = await keysUnder('out/cancel/');
  }
  expect(left).toEqual([]);
}, 600_000);
