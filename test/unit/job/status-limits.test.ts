// Bounds of a job's status (lib/jobs/status-limits.ts): key lists, admission, planning limits and
// the compact failure of a job whose status cannot be written (operator/job/too-large.ts).
import { INLINE_KEYS, MAX_RESULT_FILES, admissionProblem, boundKeys, commonPrefix, manifestKey } from '../../../lib/jobs/status-limits.js';
import { planJob } from '../../../operator/job/plan.js';
import { failTooLarge } from '../../../operator/job/too-large.js';
import type { JobDescription, OutputSpec } from '../../../lib/schema/ct-job.js';
import type { ProbeInfo, TranscodeJob } from '../../../lib/schema/transcode-job.js';

const description = (outputs: Partial<OutputSpec>[]): JobDescription => ({
  input_type: 'VIDEO',
  input_bucket: 'in-bucket',
  input_file: 'in.mp4',
  outputs: outputs.map(
    (o) =>
      ({ output_bucket: 'out-bucket', output_file: 'out/x.mp4', output_type: 'VIDEO', preset: '360p-16.9-generic', ...o }) as OutputSpec,
  ),
});

const job = (outputs: Partial<OutputSpec>[]): TranscodeJob => ({
  apiVersion: 'cloudtranscode.io/v1alpha1',
  kind: 'TranscodeJob',
  metadata: { name: 'j1', namespace: 'ns', uid: 'uid-1', generation: 1 },
  spec: { clientRef: { name: 'c1' }, jobId: 'job-1', job: description(outputs) },
});

test('key lists up to INLINE_KEYS stay whole; longer ones keep the first keys, the count, the prefix and a manifest key', () => {
  const few = ['a/t000001.jpg', 'a/t000002.jpg'];
  expect(boundKeys(few)).toEqual({ keys: few });
  const many = Array.from({ length: 120 }, (_, i) => `thumbs/t${String(i + 1).padStart(6, '0')}.jpg`);
  const b = boundKeys(many);
  expect(b.keys).toEqual(many.slice(0, INLINE_KEYS));
  expect(b.keyCount).toBe(120);
  expect(b.keyPrefix).toBe('thumbs/t000');
  expect(b.manifest).toBe('thumbs/t000.ct-manifest.json');
  expect(manifestKey(['x/a.jpg', 'y/b.jpg'])).toBe('.ct-manifest.json');
  expect(commonPrefix([])).toBe('');
});

test('admission: 20 THUMB outputs with long keys fit; 100 HLS outputs with 1000-character keys do not', () => {
  const thumbs = Array.from({ length: 20 }, (_, i) => ({
    output_type: 'THUMB' as const,
    mode: 'intervals' as const,
    intervals: 1,
    size: '64x48',
    output_file: `long/${'d'.repeat(180)}-${i}/t.jpg`,
  }));
  expect(admissionProblem(description(thumbs))).toBeUndefined();
  const hls = Array.from({ length: 100 }, (_, i) => ({ output_type: 'HLS' as const, output_file: `${'k'.repeat(1000)}/${i}.m3u8` }));
  expect(admissionProblem(description(hls))).toMatch(/over the limit of 1024 KiB: split its 100 outputs/);
});

test('admission counts one result key for single-file outputs: 40 VIDEO outputs with 1 KiB keys fit, 100 do not', () => {
  const videos = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      output_type: 'VIDEO' as const,
      preset: '360p-16.9-generic',
      output_file: `${'v'.repeat(1000)}/${i}.mp4`,
    }));
  expect(admissionProblem(description(videos(40)))).toBeUndefined();
  expect(admissionProblem(description(videos(100)))).toMatch(/split its 100 outputs/);
});

test('planning: interval thumbnails over MAX_RESULT_FILES frames fail that output with a clear reason', () => {
  const probe: ProbeInfo = { duration: MAX_RESULT_FILES + 5, video: { codec: 'h264', width: 640, height: 360, fps: 25 } };
  let n = 0;
  const plan = planJob({
    job: job([
      { output_type: 'THUMB', mode: 'intervals', intervals: 1, size: '64x36', output_file: 'a/t.jpg' },
      { output_type: 'THUMB', mode: 'intervals', intervals: 10, size: '64x36', output_file: 'b/t.jpg' },
    ]),
    probe,
    clientPriority: 100,
    now: '2026-01-01T00:00:00.000Z',
    newUuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  });
  expect(plan.outputs.map((o) => o.status)).toEqual(['Failed', 'Pending']);
  expect(plan.outputs[0]?.reason).toBe('TRANSCODE_FAIL');
  expect(plan.outputs[0]?.details).toMatch(new RegExp(`make ${MAX_RESULT_FILES + 6} thumbnails .* at most ${MAX_RESULT_FILES} per output`));
  expect(plan.tasks).toHaveLength(1);
});

test('a status too large to write becomes a compact, terminal failure that keeps finished results', () => {
  const j = job([{}, {}]);
  let n = 0;
  const probe: ProbeInfo = { duration: 10, video: { codec: 'h264', width: 640, height: 360, fps: 25 } };
  const plan = planJob({
    job: j,
    probe,
    clientPriority: 100,
    now: 'now',
    newUuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  });
  const status = { phase: 'Running' as const, tasks: plan.tasks, outputs: plan.outputs };
  status.tasks[0]!.state = 3;
  status.tasks[0]!.result = { bucket: 'out-bucket', keys: Array.from({ length: 50 }, (_, i) => `k${i}`) };
  status.tasks[1]!.error = 'e'.repeat(10_000);
  status.outputs[0]!.status = 'Succeeded';
  const before = JSON.stringify(status).length;
  failTooLarge(j, status, '2026-01-01T00:00:00.000Z');
  expect(status.phase).toBe('Failed');
  expect(status).toMatchObject({ reason: 'JOB_TOO_LARGE', completedAt: '2026-01-01T00:00:00.000Z' });
  expect(status.tasks.map((t) => t.state)).toEqual([3, 6]);
  expect(status.tasks[0]!.result).toMatchObject({ keyCount: 50 });
  expect(status.tasks[0]!.result!.keys).toHaveLength(INLINE_KEYS);
  expect(status.outputs.map((o) => [o.status, o.reason])).toEqual([
    ['Succeeded', undefined],
    ['Failed', 'JOB_TOO_LARGE'],
  ]);
  expect(JSON.stringify(status).length).toBeLessThan(before / 4);
});
