// Runner availability on pure status objects: served types, the encoding policy, NoRunnerForTaskType
// (grace, mark, recovery, deadline) and the CT message it yields.
import { DEFAULT_SEGMENT_POLICY } from '../../../operator/job/outputs/segments.js';
import {
  applyEncodingPolicy,
  applyRunnerAvailability,
  nextAvailabilityCheck,
  servedTypes,
  standardVideoPayload,
  unschedulableSummary,
  wantsStandardVideo,
} from '../../../operator/job/scheduling.js';
import { jobSettingsFromEnv } from '../../../operator/config.js';
import { planMessages } from '../../../lib/ct/events.js';
import type { TaskStatus, TranscodeJobStatus } from '../../../lib/schema/transcode-job.js';
import type { TranscodeRunner } from '../../../lib/schema/transcode-runner.js';
import type { CtVideoPayload } from '../../../lib/peertube/job-types.js';
import { jobFixture, taskFixture } from '../../helpers/fixtures.js';
import type { OutputSpec } from '../../../lib/schema/ct-job.js';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const videoPayload = (over: Partial<CtVideoPayload['output']['encoding']> = {}, watermark = false): CtVideoPayload => ({
  input: { videoFileUrl: '/api/v1/runners/jobs/a/files/videos/v/max-quality', hasAudio: true },
  output: {
    encoding: {
      width: 640,
      height: 360,
      fps: 25,
      videoCodec: 'libx264',
      audioCodec: 'aac',
      videoBitrate: '900k',
      audioBitrate: '128k',
      container: 'mp4',
      ...over,
    },
    ...(watermark ? { watermark: { fileUrl: '/x', opacity: 1, x: 0, y: 0 } } : {}),
    fileName: 'out.mp4',
  },
});

function task(uuid: string, type: string, outputIndex: number, payload: object = {}, state = 1): TaskStatus {
  const fields = { type, outputIndex, state, payload: payload as Record<string, unknown>, placement: { bucket: 'b' } };
  return taskFixture({ uuid, name: `output ${outputIndex} ${uuid}`, ...fields, createdAt: iso(t0), updatedAt: iso(t0) });
}

function runner(name: string, lastContactMs: number, jobTypes?: string[]): TranscodeRunner {
  return {
    apiVersion: 'cloudtranscode.io/v1alpha1',
    kind: 'TranscodeRunner',
    metadata: { name, namespace: 'ns' },
    spec: { runnerName: name, registrationToken: 't' },
    status: { lastContact: iso(lastContactMs), ...(jobTypes ? { jobTypes } : {}) },
  };
}

const STANDARD = ['video-studio-transcoding', 'vod-audio-merge-transcoding', 'vod-hls-transcoding', 'vod-web-video-transcoding'];

test('served types: the union of what live runners asked for; stale runners and runners that never asked count for nothing', () => {
  const served = servedTypes(
    [runner('official', t0 - 10_000, STANDARD), runner('stale', t0 - 400_000, ['ct-thumbnails']), runner('new', t0)],
    t0,
    300_000,
  );
  expect([...served].sort()).toEqual(STANDARD);
});

test('encoding policy: peertube always, exact never, auto only when no live runner serves ct-video-transcoding but one serves web video', () => {
  const official = new Set(STANDARD);
  const ours = new Set([...STANDARD, 'ct-video-transcoding']);
  expect(wantsStandardVideo('peertube', ours)).toBe(true);
  expect(wantsStandardVideo('exact', official)).toBe(false);
  expect(wantsStandardVideo('auto', official)).toBe(true);
  expect(wantsStandardVideo('auto', ours)).toBe(false);
  expect(wantsStandardVideo('auto', new Set())).toBe(false);
});

test('a plain mp4/H.264 VIDEO task becomes vod-web-video-transcoding at the preset height and fps; the output records it', () => {
  const status: TranscodeJobStatus = {
    tasks: [
      task('v', 'ct-video-transcoding', 0, videoPayload()),
      task('w', 'ct-video-transcoding', 1, videoPayload({}, true)),
      task('m', 'ct-video-transcoding', 2, videoPayload({ container: 'webm', videoCodec: 'libvpx' })),
      task('t', 'ct-thumbnails', 3),
    ],
    outputs: [0, 1, 2, 3].map((index) => ({ index, type: 'VIDEO', status: 'Pending' as const })),
  };
  const changed = applyEncodingPolicy(status, true, iso(t0 + 1));
  expect(changed.map((t) => t.uuid)).toEqual(['v']);
  expect(status.tasks![0]).toMatchObject({
    type: 'vod-web-video-transcoding',
    payload: {
      input: { videoFileUrl: '/api/v1/runners/jobs/a/files/videos/v/max-quality', separatedAudioFileUrl: [] },
      output: { resolution: 360, fps: 25 },
    },
  });
  expect(status.outputs!.map((o) => o.encoding)).toEqual(['peertube', undefined, undefined, undefined]);
  // Watermarks and non-mp4 containers have no PeerTube job type: they keep needing our runner.
  expect(standardVideoPayload(status.tasks![1]!)).toBeUndefined();
  expect(standardVideoPayload(status.tasks![2]!)).toBeUndefined();
  expect(applyEncodingPolicy(status, false, iso(t0 + 2))).toEqual([]);
});

test('an unserved pending task is marked after the grace period, cleared when a runner appears, failed at its deadline', () => {
  const served = new Set(STANDARD);
  const status: TranscodeJobStatus = {
    tasks: [task('h', 'vod-hls-transcoding', 0), task('t', 'ct-thumbnails', 1)],
    outputs: [
      { index: 0, type: 'HLS', status: 'Pending' },
      { index: 1, type: 'THUMB', status: 'Pending' },
    ],
  };
  const input = (nowMs: number, s: Set<string> = served) => ({ served: s, nowMs, graceMs: 3000, timeoutMs: 60_000 });
  // Within the grace period: nothing yet, but a check is due at its end.
  expect(applyRunnerAvailability(status, input(t0 + 1000)).waiting).toEqual([]);
  expect(nextAvailabilityCheck(status, served, 3000)).toBe(t0 + 3050);
  const marked = applyRunnerAvailability(status, input(t0 + 3500));
  expect(marked.waiting.map((t) => t.uuid)).toEqual(['t']);
  const mark = status.tasks![1]!.unschedulable!;
  expect(mark).toMatchObject({ since: iso(t0 + 3500), deadline: iso(t0 + 63_500) });
  expect(mark.message).toContain('ct-thumbnails');
  expect(unschedulableSummary(status)).toContain('no live runner serves job type(s) ct-thumbnails');
  // Marked once per episode.
  expect(applyRunnerAvailability(status, input(t0 + 5000)).waiting).toEqual([]);
  // A ct-* runner appears: the mark goes, the task stays pending for it.
  const recovered = applyRunnerAvailability(status, input(t0 + 6000, new Set([...STANDARD, 'ct-thumbnails'])));
  expect(recovered.recovered.map((t) => t.uuid)).toEqual(['t']);
  expect(status.tasks![1]!.unschedulable).toBeUndefined();
  expect(unschedulableSummary(status)).toBeUndefined();
  // It goes away again: a new episode with a new deadline, then the deadline passes.
  status.tasks![1]!.updatedAt = iso(t0 + 6000);
  applyRunnerAvailability(status, input(t0 + 10_000));
  expect(status.tasks![1]!.unschedulable!.deadline).toBe(iso(t0 + 70_000));
  expect(applyRunnerAvailability(status, input(t0 + 69_000)).expired).toEqual([]);
  const expired = applyRunnerAvailability(status, input(t0 + 70_000));
  expect(expired.expired.map((t) => t.uuid)).toEqual(['t']);
  expect(status.tasks![1]).toMatchObject({ state: 4, error: expect.stringContaining('NO_RUNNER_FOR_TASK_TYPE') });
  expect(status.outputs![1]).toMatchObject({ status: 'Failed', reason: 'NO_RUNNER_FOR_TASK_TYPE' });
  expect(status.outputs![0]!.status).toBe('Pending');
});

test('the deadline fails the whole output: sibling tasks (other HLS renditions) are cancelled', () => {
  const status: TranscodeJobStatus = {
    tasks: [task('a', 'ct-video-transcoding', 0), task('b', 'ct-video-transcoding', 0, {}, 2)],
    outputs: [{ index: 0, type: 'VIDEO', status: 'Running' }],
  };
  const input = (nowMs: number) => ({ served: new Set<string>(), nowMs, graceMs: 0, timeoutMs: 1000 });
  applyRunnerAvailability(status, input(t0));
  applyRunnerAvailability(status, input(t0 + 1000));
  expect(status.tasks!.map((t) => t.state)).toEqual([4, 6]);
  expect(status.outputs![0]!.reason).toBe('NO_RUNNER_FOR_TASK_TYPE');
});

test('CT: an unschedulable task yields one ACTIVITY_UNSCHEDULABLE naming the type and deadline; its expiry an ACTIVITY_FAILED with NO_RUNNER_FOR_TASK_TYPE', () => {
  const job = jobFixture({
    inputBucket: 'in',
    outputs: [{ output_type: 'THUMB', output_bucket: 'out', output_file: 't.jpg', size: '320x180' }] as OutputSpec[],
    status: {
      phase: 'Running',
      probe: { duration: 2 },
      tasks: [task('11111111-1111-4111-8111-111111111111', 'ct-thumbnails', 0)],
      outputs: [{ index: 0, type: 'THUMB', status: 'Pending' }],
    },
  });

  applyRunnerAvailability(job.status!, { served: new Set(), nowMs: t0 + 5000, graceMs: 0, timeoutMs: 10_000 });
  const msgs = planMessages(job, new Set(), { requireWorkflow: false, now: t0 });
  const un = msgs.filter((m) => m.message.type === 'ACTIVITY_UNSCHEDULABLE');
  expect(un).toHaveLength(1);
  expect(un[0]!.key).toBeDefined();
  expect(un[0]!.message.data).toMatchObject({
    activity: { status: 'UNSCHEDULABLE', reason: 'NO_RUNNER_FOR_TASK_TYPE', task_type: 'ct-thumbnails', deadline: iso(t0 + 15_000) },
  });
  // Once published, not again.
  expect(
    planMessages(job, new Set([un[0]!.key!]), { requireWorkflow: false, now: t0 }).some((m) => m.message.type === 'ACTIVITY_UNSCHEDULABLE'),
  ).toBe(false);
  applyRunnerAvailability(job.status!, { served: new Set(), nowMs: t0 + 15_000, graceMs: 0, timeoutMs: 10_000 });
  const failed = planMessages(job, new Set(), { requireWorkflow: false, now: t0 }).filter((m) => m.message.type === 'ACTIVITY_FAILED');
  expect(failed.map((m) => (m.message.data as { activity: { reason: string } }).activity.reason)).toEqual(['NO_RUNNER_FOR_TASK_TYPE']);
});

test('operator settings: defaults, and bad values name the variable', () => {
  const schedulingConfigFromEnv = (env: NodeJS.ProcessEnv) => jobSettingsFromEnv(env).scheduling;
  expect(schedulingConfigFromEnv({})).toEqual({
    encodingPolicy: 'auto',
    noRunnerTimeoutMs: 900_000,
    graceMs: 3000,
    runnerLiveMs: 300_000,
    segments: DEFAULT_SEGMENT_POLICY,
  });
  expect(() => schedulingConfigFromEnv({ CT_ENCODING_POLICY: 'fast' })).toThrow(/CT_ENCODING_POLICY/);
  expect(() => schedulingConfigFromEnv({ CT_NO_RUNNER_TIMEOUT_SECONDS: '0' })).toThrow(/CT_NO_RUNNER_TIMEOUT_SECONDS/);
});
