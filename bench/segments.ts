// Issue 16 (P7): segment-parallel VIDEO encoding. A generated 720p source (default 10 min), VIDEO
// preset 720p-generic, side by side in one run, every ffmpeg limited to 1 thread (so the 2-core
// machine can show the effect):
//   (whole)     1 runner: the ct-video-transcoding processor on the whole file;
//   (segmented) 2 runners: the planner's segments (operator/job/outputs/segments.ts) taken by 2 lanes
//               from one queue (ct-video-segment processor), then the ct-video-concat processor.
// The processors run on local files (no HTTP/S3: the stack's own overhead is `stack-overhead`'s).
// Reports medians of both walls and their ratio, the split overhead (sum of segment times / whole
// time), the concat time, and the model T(N) = max(sum of segments / N, longest segment) + concat
// projected to N = 8 and 32 runners.
//   npm run build && node dist/bench/segments.js [rounds=1] [seconds=600] [segmentSeconds=30]
import { copyFileSync, createReadStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../lib/log.js';
import { resolveVideoEncoding } from '../lib/presets/resolve.js';
import type { CtEncoding, CtSegmentRange } from '../lib/peertube/job-types.js';
import { DEFAULT_SEGMENT_POLICY, segmentContainer, segmentRanges } from '../operator/job/outputs/segments.js';
import { ctVideoProcessor } from '../runner/processors/ct-video.js';
import { ctVideoSegmentProcessor } from '../runner/processors/ct-video-segment.js';
import { ctVideoConcatProcessor } from '../runner/processors/ct-video-concat.js';
import type { JobContext } from '../runner/processors/types.js';
import { openInput } from '../runner/input.js';
import { runCommand } from '../runner/ffmpeg.js';
import { generateClip } from '../test/helpers/media.js';

const rounds = Number(process.argv[2] ?? 1);
const seconds = Number(process.argv[3] ?? 600);
const segmentSeconds = Number(process.argv[4] ?? 30);
const LANES = 2;
const FRAME = { width: 1280, height: 720 };
const FPS = 30;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const logger = createLogger('bench');
logger.level = 'warn';

/** A processor context on local files: inputs by URL from `files`, 1 ffmpeg thread. */
function context(dir: string, files: Record<string, string>): JobContext {
  mkdirSync(dir, { recursive: true });
  const settings = { threads: 1, nice: 0 };
  const signal = new AbortController().signal;
  const local = (url: string) => {
    const f = files[url];
    if (!f) throw new Error(`no input ${url}`);
    return f;
  };
  return {
    job: { uuid: 'bench', type: 'bench', jobToken: 'x', payload: {} },
    dir,
    logger,
    signal,
    settings,
    download: async (url, name) => {
      copyFileSync(local(url), join(dir, name));
      return join(dir, name);
    },
    openInput: (url, name) => openInput(createReadStream(local(url)), join(dir, name), signal, () => undefined),
    ffmpeg: (cmd, label, totalSec) => runCommand(cmd, { label, settings, signal, logger, ...(totalSec !== undefined ? { totalSec } : {}) }),
  };
}

async function whole(work: string, clip: string, e: CtEncoding): Promise<number> {
  const t = performance.now();
  await ctVideoProcessor.process(context(join(work, 'whole'), { '/in': clip }), {
    input: { videoFileUrl: '/in', hasAudio: true, media: { durationSec: seconds, hasVideo: true, hasAudio: true } },
    output: { encoding: e, fileName: 'whole.mp4' },
  });
  return performance.now() - t;
}

interface Segmented {
  wallMs: number;
  segmentMs: number[];
  concatMs: number;
}

async function segmented(work: string, clip: string, e: CtEncoding, ranges: CtSegmentRange[]): Promise<Segmented> {
  const c = segmentContainer(e.container)!;
  const t0 = performance.now();
  const queue = [...ranges];
  const outputs: string[] = [];
  const segmentMs: number[] = [];
  const lane = async () => {
    for (let r = queue.shift(); r; r = queue.shift()) {
      const t = performance.now();
      const result = await ctVideoSegmentProcessor.process(context(join(work, `seg-${r.index}`), { '/in': clip }), {
        input: { videoFileUrl: '/in', media: { durationSec: seconds, hasVideo: true, hasAudio: true } },
        output: { encoding: e, segment: r, muxer: c.muxer, fileName: `segment-${r.index}.${c.ext}` },
      });
      outputs[r.index] = result.files[0]!.path;
      segmentMs[r.index] = performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  const t1 = performance.now();
  const urls = outputs.map((_, i) => `/seg/${i}`);
  await ctVideoConcatProcessor.process(
    context(join(work, 'concat'), { '/in': clip, ...Object.fromEntries(urls.map((u, i) => [u, outputs[i]!])) }),
    {
      input: {
        videoFileUrl: '/in',
        hasAudio: true,
        media: { durationSec: seconds, hasVideo: true, hasAudio: true },
        segmentFileUrls: urls,
        segmentFrames: ranges.slice(0, -1).map((r) => r.frames!),
      },
      output: { encoding: e, fileName: 'joined.mp4' },
    },
  );
  const t2 = performance.now();
  return { wallMs: t2 - t0, segmentMs, concatMs: t2 - t1 };
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'ct-bench-seg-'));
  try {
    process.stdout.write(`generating a ${seconds} s ${FRAME.width}x${FRAME.height} ${FPS} fps source...\n`);
    const clip = await generateClip(join(root, 'source.mp4'), { durationSec: seconds, ...FRAME, fps: FPS });
    const enc = resolveVideoEncoding({ output_type: 'VIDEO', output_bucket: 'x', output_file: 'out.mp4', preset: '720p-generic' }, FRAME);
    if (!enc.ok) throw new Error(enc.details);
    const e = enc.value;
    const ranges = segmentRanges(seconds, e.fps, { ...DEFAULT_SEGMENT_POLICY, thresholdSec: 0, targetSec: segmentSeconds })!;
    process.stdout.write(
      `${ranges.length} segments of ${ranges[0]!.frames} frames at ${e.fps} fps, ${LANES} lanes, 1 ffmpeg thread each\n`,
    );
    const wholes: number[] = [];
    const segs: Segmented[] = [];
    for (let i = 0; i < rounds; i++) {
      // Alternate the order every round: neither variant always runs on a warmer (or busier) machine.
      const order = i % 2 === 0 ? (['whole', 'segmented'] as const) : (['segmented', 'whole'] as const);
      for (const v of order) {
        const work = mkdtempSync(join(root, `${v}-`));
        if (v === 'whole') wholes.push(await whole(work, clip, e));
        else segs.push(await segmented(work, clip, e, ranges));
        rmSync(work, { recursive: true, force: true });
        process.stdout.write(`round ${i + 1} ${v}: ${s(v === 'whole' ? wholes.at(-1)! : segs.at(-1)!.wallMs)}\n`);
      }
    }
    const w = median(wholes);
    const sg = median(segs.map((x) => x.wallMs));
    const best = segs.find((x) => x.wallMs === sg)!;
    const sum = best.segmentMs.reduce((a, b) => a + b, 0);
    const longest = Math.max(...best.segmentMs);
    const project = (n: number) => Math.max(sum / n, longest) + best.concatMs;
    process.stdout.write(
      [
        `whole file, 1 runner:          ${s(w)} (median of ${wholes.length})`,
        `segmented, ${LANES} runners:        ${s(sg)} (median of ${segs.length}); ratio ${(sg / w).toFixed(2)}`,
        `sum of segment encodes:        ${s(sum)} = ${(sum / w).toFixed(2)} × the whole-file encode (split overhead)`,
        `concat (stream copy + audio):  ${s(best.concatMs)}`,
        `model T(N) = max(sum/N, longest segment) + concat: N=8 ${s(project(8))} (ratio ${(project(8) / w).toFixed(2)}), N=32 ${s(project(32))} (ratio ${(project(32) / w).toFixed(2)}) — with ${ranges.length} segments the fan-out caps at ${ranges.length}`,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
