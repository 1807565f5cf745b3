// Segment-parallel VIDEO encoding is frame-exact (docs/segment-encoding.md): the ct-video-segment
// and ct-video-concat processors, run through the real JobExecution and real ffmpeg on ranges
// from the operator's planner (segmentRanges), against a whole-file ct-video-transcoding encode of
// the same source at the same settings.
//   - lossless (FFV1): every decoded frame of the joined output hashes equal to the whole-file
//     encode's, CFR and VFR sources: no frame duplicated, dropped or shifted at any boundary;
//   - H.264/AAC mp4: same frame count and timestamps, one key frame at each boundary (fixed GOP),
//     monotonic timestamps, audio as long as the video, the same codec parameters in every
//     segment, and per-frame PSNR against the whole-file encode ≥ 40 dB around every boundary.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../lib/log.js';
import type { CtEncoding, CtSegmentRange } from '../../../lib/peertube/job-types.js';
import { segmentContainer, segmentRanges } from '../../../operator/job/outputs/segments.js';
import { generateClip } from '../../helpers/media.js';
import { frameHashes, psnrPerFrame, streamParams, videoPackets } from '../../helpers/frames.js';
import { runLocal, type LocalRun } from './local-run.js';

const root = mkdtempSync(join(tmpdir(), 'ct-runner-seg-'));
const logger = createLogger('runner-test');
logger.level = 'warn';

const SRC = 'http://in/source';
const POLICY = { thresholdSec: 0, targetSec: 6, maxSegments: 16, gopSec: 2, marginSec: 1 };

function only(r: LocalRun, what: string): string {
  if (r.outcome !== 'completed' || r.files.length !== 1) throw new Error(`${what}: ${r.outcome} ${r.error ?? ''}`);
  return r.files[0]!.path;
}

async function whole(source: string, encoding: CtEncoding, hasAudio: boolean): Promise<string> {
  const r = await runLocal(
    root,
    logger,
    'ct-video-transcoding',
    { input: { videoFileUrl: SRC, hasAudio }, output: { encoding, fileName: `whole.${encoding.container}` } },
    { [SRC]: source },
  );
  return only(r, 'whole-file encode');
}

/** Every segment, then the concat task, as the planner would plan them. */
async function segmented(
  source: string,
  encoding: CtEncoding,
  hasAudio: boolean,
  ranges: CtSegmentRange[],
): Promise<{ output: string; segments: string[] }> {
  const c = segmentContainer(encoding.container)!;
  const segments: string[] = [];
  for (const segment of ranges) {
    const r = await runLocal(
      root,
      logger,
      'ct-video-segment',
      { input: { videoFileUrl: SRC }, output: { encoding, segment, muxer: c.muxer, fileName: `segment-${segment.index}.${c.ext}` } },
      { [SRC]: source },
    );
    segments.push(only(r, `segment ${segment.index}`));
  }
  const urls = segments.map((_, i) => `http://in/segment-${i}`);
  const r = await runLocal(
    root,
    logger,
    'ct-video-concat',
    {
      input: { videoFileUrl: SRC, hasAudio, segmentFileUrls: urls, segmentFrames: ranges.slice(0, -1).map((r) => r.frames!) },
      output: { encoding, fileName: `joined.${encoding.container}` },
    },
    { [SRC]: source, ...Object.fromEntries(urls.map((u, i) => [u, segments[i]!])) },
  );
  return { output: only(r, 'concat'), segments };
}

const enc = (o: Partial<CtEncoding>): CtEncoding => ({
  width: 256,
  height: 192,
  fps: 25,
  videoCodec: 'libx264',
  audioCodec: 'aac',
  videoBitrate: '1500k',
  audioBitrate: '64k',
  container: 'mp4',
  ...o,
});

let cfr: string;
let vfr: string;

beforeAll(async () => {
  cfr = await generateClip(join(root, 'media', 'cfr.mp4'), { durationSec: 24, width: 320, height: 240, fps: 25 });
  // 30 fps with every fifth frame missing (24 frames a second, irregular gaps), H.264, no audio.
  vfr = join(root, 'media', 'vfr.mp4');
  const { execFile } = await import('node:child_process');
  await new Promise<void>((resolve, reject) =>
    execFile(
      'ffmpeg',
      [
        ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30:duration=18'],
        ...['-vf', "select='not(eq(mod(n\\,5)\\,3))'", '-fps_mode', 'vfr', '-c:v', 'libx264', '-preset', 'ultrafast'],
        ...['-pix_fmt', 'yuv420p', '-g', '30', vfr],
      ],
      (err) => (err ? reject(err) : resolve()),
    ),
  );
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('segment-parallel VIDEO encoding (real ffmpeg)', () => {
  test('planner ranges: whole GOPs, margins, the last one open-ended', () => {
    const r = segmentRanges(24, 25, POLICY)!;
    expect(r.map((s) => [s.startFrame, s.frames, s.marginFrames])).toEqual([
      [0, 150, 0],
      [150, 150, 25],
      [300, 150, 25],
      [450, undefined, 25],
    ]);
    expect(new Set(r.map((s) => s.gopFrames))).toEqual(new Set([50]));
  });

  test('lossless CFR: every decoded frame equals the whole-file encode (frame-exact boundaries)', async () => {
    const e = enc({ videoCodec: 'ffv1', container: 'mkv' });
    const ranges = segmentRanges(24, e.fps, POLICY)!;
    const [ref, seg] = await Promise.all([whole(cfr, e, false), segmented(cfr, e, false, ranges)]);
    const [a, b] = await Promise.all([frameHashes(ref), frameHashes(seg.output)]);
    expect(a.length).toBe(600);
    expect(b.length).toBe(a.length);
    const firstDiff = b.findIndex((h, i) => h !== a[i]);
    expect(firstDiff).toBe(-1);
  });

  test('lossless VFR source converted to 25 fps: frame-exact too', async () => {
    const e = enc({ videoCodec: 'ffv1', container: 'mkv' });
    const ranges = segmentRanges(18, e.fps, { ...POLICY, targetSec: 4 })!;
    expect(ranges.length).toBeGreaterThanOrEqual(4);
    const [ref, seg] = await Promise.all([whole(vfr, e, false), segmented(vfr, e, false, ranges)]);
    const [a, b] = await Promise.all([frameHashes(ref), frameHashes(seg.output)]);
    expect(a.length).toBe(450);
    expect(b.length).toBe(a.length);
    expect(b.findIndex((h, i) => h !== a[i])).toBe(-1);
  });

  test('H.264/AAC mp4: frames, timestamps, key frames, A/V sync, codec parameters, PSNR at the boundaries', async () => {
    const e = enc({ profile: 'main', level: '3.0' });
    const ranges = segmentRanges(24, e.fps, POLICY)!;
    const [ref, seg] = await Promise.all([whole(cfr, e, true), segmented(cfr, e, true, ranges)]);
    const [pa, pb] = await Promise.all([videoPackets(ref), videoPackets(seg.output)]);
    expect(pb.length).toBe(pa.length);
    expect(pb.length).toBe(600);
    // The same presentation timestamps frame by frame: nothing duplicated, dropped or shifted.
    expect(pb.map((p) => p.pts.toFixed(3))).toEqual(pa.map((p) => p.pts.toFixed(3)));
    for (let i = 1; i < pb.length; i++) expect(pb[i]!.pts).toBeGreaterThan(pb[i - 1]!.pts);
    const dts = [...pb].map((p) => p.dts).sort((x, y) => x - y);
    expect(new Set(dts).size).toBe(dts.length); // decode timestamps strictly increasing too
    // A key frame at every boundary, and only every gopFrames frames (fixed GOP).
    const keys = pb.flatMap((p, i) => (p.key ? [i] : []));
    expect(keys).toEqual(Array.from({ length: 12 }, (_, i) => i * 50));
    for (const r of ranges) expect(pb[r.startFrame]!.key).toBe(true);

    const [sa, sb] = await Promise.all([streamParams(ref), streamParams(seg.output)]);
    expect(Math.abs(sb.durationSec - sa.durationSec)).toBeLessThanOrEqual(1 / e.fps);
    // Audio as long as the video, ± one AAC frame (1024 samples at 48 kHz), as in the whole-file encode.
    expect(Math.abs(sb.audioDurationSec! - sb.durationSec)).toBeLessThanOrEqual(1024 / 48000 + 1e-3);
    expect(Math.abs(sb.audioDurationSec! - sa.audioDurationSec!)).toBeLessThanOrEqual(1e-3);
    const params = await Promise.all(seg.segments.map((s) => streamParams(s)));
    for (const p of [...params, sb])
      expect([p.codec, p.profile, p.level, p.pixFmt, p.width, p.height]).toEqual(['h264', 'Main', 30, 'yuv420p', 256, 192]);

    const psnr = await psnrPerFrame(seg.output, ref);
    expect(psnr.length).toBe(600);
    const around = ranges.slice(1).flatMap((r) => [r.startFrame - 2, r.startFrame - 1, r.startFrame, r.startFrame + 1]);
    const min = Math.min(...around.map((i) => psnr[i]!));
    logger.warn({ minBoundaryPsnrDb: min, minPsnrDb: Math.min(...psnr) }, 'segmented vs whole-file PSNR');
    expect(min).toBeGreaterThanOrEqual(40);
  });

  test('25 → 29.97 fps (grid not representable in the input time base): lossless frame-exact; H.264 timestamps equal', async () => {
    const lossless = enc({ fps: 29.97, videoCodec: 'ffv1', container: 'mkv' });
    const ranges = segmentRanges(24, 29.97, { ...POLICY, targetSec: 4 })!;
    expect(ranges.length).toBe(6);
    const [ref, seg] = await Promise.all([whole(cfr, lossless, false), segmented(cfr, lossless, false, ranges)]);
    const [a, b] = await Promise.all([frameHashes(ref), frameHashes(seg.output)]);
    expect(a.length).toBe(719);
    expect(b.length).toBe(a.length);
    expect(b.findIndex((h, i) => h !== a[i])).toBe(-1);

    const e = enc({ fps: 29.97 });
    const [ref2, seg2] = await Promise.all([whole(cfr, e, true), segmented(cfr, e, true, ranges)]);
    const [pa, pb] = await Promise.all([videoPackets(ref2), videoPackets(seg2.output)]);
    expect(pb.length).toBe(pa.length);
    // mp4 durations are rounded to 1/1000 s: without the concat's exact durations every boundary drifted 1 ms.
    expect(pb.map((p) => p.pts.toFixed(4))).toEqual(pa.map((p) => p.pts.toFixed(4)));
    for (const r of ranges) expect(pb[r.startFrame]!.key).toBe(true);
  });

  test('a segment that cannot make all its frames fails (never a shorter range)', async () => {
    const e = enc({});
    const r = await runLocal(
      root,
      logger,
      'ct-video-segment',
      {
        input: { videoFileUrl: SRC },
        output: {
          encoding: e,
          segment: { index: 1, count: 2, startFrame: 550, frames: 100, marginFrames: 25, gopFrames: 50 },
          muxer: 'mp4',
          fileName: 'short.mp4',
        },
      },
      { [SRC]: cfr },
    );
    expect(r.outcome).toBe('errored');
    expect(r.error).toMatch(/50 frames made, 100 expected/);
  });
});
