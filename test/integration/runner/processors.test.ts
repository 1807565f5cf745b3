// Every processor, run through the real JobExecution and real ffmpeg on small generated clips; the
// outputs are checked with ffprobe. The HTTP side is replaced by a local client (files on disk),
// the protocol itself is covered by runner-protocol.test.ts.
import { copyFileSync, createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { createLogger } from '../../../lib/log.js';
import { JobExecution } from '../../../runner/job-execution.js';
import { ProtocolClient, type AcceptedJob } from '../../../runner/protocol-client.js';
import type { UploadFile } from '../../../runner/upload.js';
import { generateAudio, generateClip, generatePng, probe } from '../../helpers/media.js';

const root = mkdtempSync(join(tmpdir(), 'ct-runner-proc-'));
const media = join(root, 'media');
const logger = createLogger('runner-test');
logger.level = 'warn';

interface Recorded {
  updates: (number | undefined)[];
  success?: { payload: Record<string, string | number | boolean>; files: { field: string; filename: string; path: string }[] };
  error?: string;
}

/** The protocol client with files instead of HTTP: inputs come from `inputs`, results are copied out. */
class LocalClient extends ProtocolClient {
  readonly rec: Recorded = { updates: [] };
  constructor(
    private readonly inputs: Record<string, string>,
    private readonly outDir: string,
  ) {
    super('http://local.invalid');
  }
  override async download(_t: string, _j: AcceptedJob, url: string, dest: string): Promise<void> {
    const src = this.inputs[url];
    if (!src) throw new Error(`no such input ${url}`);
    copyFileSync(src, dest);
  }
  override async openDownload(_t: string, _j: AcceptedJob, url: string): Promise<Readable> {
    const src = this.inputs[url];
    if (!src) throw new Error(`no such input ${url}`);
    return createReadStream(src);
  }
  override async update(_t: string, _j: AcceptedJob, progress: number | undefined): Promise<void> {
    this.rec.updates.push(progress);
  }
  override async success(
    _t: string,
    _j: AcceptedJob,
    payload: Record<string, string | number | boolean>,
    files: UploadFile[],
  ): Promise<void> {
    mkdirSync(this.outDir, { recursive: true });
    for (const f of files) await f.ready; // files still being made (HLS) are complete once ready
    this.rec.success = {
      payload,
      files: files.map((f) => {
        const filename = f.filename ?? basename(f.path);
        const path = join(this.outDir, `${f.field.replace(/\W/g, '_')}-${filename}`);
        copyFileSync(f.path, path);
        return { field: f.field, filename, path };
      }),
    };
  }
  override async error(_t: string, _j: AcceptedJob, message: string): Promise<void> {
    this.rec.error = message;
  }
}

let n = 0;
async function runJob(
  type: string,
  payload: unknown,
  inputs: Record<string, string>,
  peertubeStrict = false,
): Promise<Recorded & { outcome: string }> {
  n += 1;
  const client = new LocalClient(inputs, join(root, `out-${n}`));
  const job: AcceptedJob = { uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, type, payload, jobToken: 'ptrjt-test' };
  const exec = new JobExecution(job, {
    client,
    runnerToken: 'ptrt-test',
    settings: { threads: 1, nice: 0 },
    workDir: join(root, 'work'),
    updateIntervalMs: 200,
    peertubeStrict,
    logger,
  });
  const outcome = await exec.run();
  return { ...client.rec, outcome };
}

function file(r: Recorded, field: string, i = 0): { filename: string; path: string } {
  const f = r.success?.files.filter((x) => x.field === field)[i];
  if (!f) throw new Error(`no ${field} in success (error: ${r.error})`);
  return f;
}

const CLIP = 'http://in/clip';
const SILENT = 'http://in/silent';
const AUDIO = 'http://in/audio';
const PNG = 'http://in/png';
const INTRO = 'http://in/intro';
let inputs: Record<string, string>;

beforeAll(async () => {
  const [clip, silent, audio, png, intro] = await Promise.all([
    generateClip(join(media, 'clip.mp4'), { durationSec: 3 }),
    generateClip(join(media, 'silent.mp4'), { durationSec: 2, audio: false }),
    generateAudio(join(media, 'audio.m4a'), { durationSec: 3 }),
    generatePng(join(media, 'wm.png'), { width: 64, height: 48, alpha: true }),
    generateClip(join(media, 'intro.mp4'), { durationSec: 1, width: 160, height: 120, audio: false }),
  ]);
  inputs = { [CLIP]: clip, [SILENT]: silent, [AUDIO]: audio, [PNG]: png, [INTRO]: intro };
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const near = (actual: number, expected: number, tol = 0.1) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol);

describe('runner processors (real ffmpeg)', () => {
  test('vod-web-video-transcoding: H.264/AAC mp4 at the height, even width, faststart', async () => {
    const r = await runJob(
      'vod-web-video-transcoding',
      { input: { videoFileUrl: CLIP, separatedAudioFileUrl: [] }, output: { resolution: 144, fps: 20 } },
      inputs,
    );
    expect(r.outcome).toBe('completed');
    const out = file(r, 'payload[videoFile]');
    const p = await probe(out.path);
    expect([p.width, p.height, p.videoCodec, p.audioCodec]).toEqual([192, 144, 'h264', 'aac']);
    near(p.fps!, 20, 0.01);
    near(p.durationSec, 3);
    const bytes = readFileSync(out.path);
    expect(bytes.indexOf('moov')).toBeLessThan(bytes.indexOf('mdat')); // +faststart
    // The first update is sent at start; progress is reported in 0..100.
    expect(r.updates.length).toBeGreaterThanOrEqual(1);
    for (const u of r.updates) expect(u === undefined || (u >= 0 && u <= 100)).toBe(true);
  });

  test('vod-web-video-transcoding resolution 0: audio only', async () => {
    const r = await runJob(
      'vod-web-video-transcoding',
      { input: { videoFileUrl: CLIP, separatedAudioFileUrl: [] }, output: { resolution: 0, fps: 0 } },
      inputs,
    );
    const p = await probe(file(r, 'payload[videoFile]').path);
    expect([p.hasVideo, p.audioCodec]).toEqual([false, 'aac']);
    near(p.durationSec, 3);
  });

  test('vod-hls-transcoding: <uuid>-<res>-fragmented.mp4 + <uuid>-<res>.m3u8 readable by ffmpeg', async () => {
    const r = await runJob(
      'vod-hls-transcoding',
      { input: { videoFileUrl: CLIP, separatedAudioFileUrl: [] }, output: { resolution: 240, fps: 25, separatedAudio: false } },
      inputs,
    );
    expect(r.outcome).toBe('completed');
    const video = file(r, 'payload[videoFile]');
    const playlist = file(r, 'payload[resolutionPlaylistFile]');
    const m = /^([0-9a-f-]{36})-240-fragmented\.mp4$/.exec(video.filename);
    expect(m).not.toBeNull();
    expect(playlist.filename).toBe(`${m![1]}-240.m3u8`);
    const text = readFileSync(playlist.path, 'utf8');
    expect(text).toContain(`#EXT-X-MAP:URI="${video.filename}"`);
    expect(text).toContain('#EXT-X-BYTERANGE');
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    // Put both under their real names side by side and read the playlist back with ffprobe.
    const dir = join(root, 'hls-check');
    mkdirSync(dir, { recursive: true });
    copyFileSync(video.path, join(dir, video.filename));
    copyFileSync(playlist.path, join(dir, playlist.filename));
    const p = await probe(join(dir, playlist.filename));
    expect([p.width, p.height, p.videoCodec, p.audioCodec]).toEqual([320, 240, 'h264', 'aac']);
    near(p.durationSec, 3);
  });

  test('vod-hls-transcoding separatedAudio: video-only rendition', async () => {
    const r = await runJob(
      'vod-hls-transcoding',
      { input: { videoFileUrl: CLIP, separatedAudioFileUrl: [] }, output: { resolution: 144, fps: 25, separatedAudio: true } },
      inputs,
    );
    const p = await probe(file(r, 'payload[videoFile]').path);
    expect([p.height, p.hasAudio]).toEqual([144, false]);
  });

  test('vod-audio-merge-transcoding: audio + preview image → mp4 video (strict PeerTube payload)', async () => {
    const r = await runJob(
      'vod-audio-merge-transcoding',
      { input: { audioFileUrl: AUDIO, previewFileUrl: PNG }, output: { resolution: 240, fps: 25 } },
      inputs,
      true,
    );
    expect(r.outcome).toBe('completed');
    const p = await probe(file(r, 'payload[videoFile]').path);
    expect([p.width, p.height, p.videoCodec, p.audioCodec]).toEqual([320, 240, 'h264', 'aac']);
    near(p.durationSec, 3);
  });

  test('video-studio-transcoding: cut, add-intro, add-outro, add-watermark in order', async () => {
    const r = await runJob(
      'video-studio-transcoding',
      {
        input: { videoFileUrl: CLIP, separatedAudioFileUrl: [] },
        tasks: [
          { name: 'cut', options: { start: 0.5, end: 2.5 } },
          { name: 'add-intro', options: { file: INTRO } },
          { name: 'add-outro', options: { file: INTRO } },
          {
            name: 'add-watermark',
            options: { file: PNG, watermarkSizeRatio: 0.1, horitonzalMarginRatio: 0.02, verticalMarginRatio: 0.02 },
          },
        ],
      },
      inputs,
    );
    expect(r.error).toBeUndefined();
    const p = await probe(file(r, 'payload[videoFile]').path);
    expect([p.width, p.height, p.videoCodec, p.audioCodec]).toEqual([320, 240, 'h264', 'aac']);
    near(p.durationSec, 2 + 1 + 1, 0.15);
  });

  test("add-watermark: PeerTube's horitonzalMarginRatio in strict PeerTube mode; the correct spelling only outside it", async () => {
    const studio = (margin: Record<string, number>) => ({
      input: { videoFileUrl: SILENT, separatedAudioFileUrl: [] },
      tasks: [{ name: 'add-watermark', options: { file: PNG, watermarkSizeRatio: 0.2, verticalMarginRatio: 0.05, ...margin } }],
    });
    const strict = await runJob('video-studio-transcoding', studio({ horitonzalMarginRatio: 0.05 }), inputs, true);
    expect([strict.outcome, strict.error]).toEqual(['completed', undefined]);
    const refused = await runJob('video-studio-transcoding', studio({ horizontalMarginRatio: 0.05 }), inputs, true);
    expect(refused.outcome).not.toBe('completed');
    expect(refused.error).toMatch(/horitonzalMarginRatio: is required/);
    const lenient = await runJob('video-studio-transcoding', studio({ horizontalMarginRatio: 0.05 }), inputs);
    expect([lenient.outcome, lenient.error]).toEqual(['completed', undefined]);
    // Strict mode refuses our own job types outright.
    const ct = await runJob('ct-thumbnails', {}, inputs, true);
    expect(ct.error).toMatch(/not a standard PeerTube job type/);
  });

  test('ct-video-transcoding: size, fps, codecs, profile, level, refs, container and watermark honoured', async () => {
    const r = await runJob(
      'ct-video-transcoding',
      {
        input: { videoFileUrl: CLIP, hasAudio: true },
        output: {
          encoding: {
            width: 256,
            height: 192,
            fps: 15,
            videoCodec: 'libx264',
            audioCodec: 'aac',
            videoBitrate: '300k',
            audioBitrate: '64k',
            profile: 'main',
            level: '3.0',
            maxReferenceFrames: 2,
            container: 'mp4',
          },
          watermark: { fileUrl: PNG, width: 32, height: 24, opacity: 0.5, x: -10, y: 10 },
          fileName: 'out-256.mp4',
        },
      },
      inputs,
    );
    expect(r.error).toBeUndefined();
    const out = file(r, 'payload[videoFile]');
    expect(out.filename).toBe('out-256.mp4');
    const p = await probe(out.path);
    expect([p.width, p.height, p.videoCodec, p.videoProfile, p.videoLevel, p.audioCodec, p.pixFmt]).toEqual([
      256,
      192,
      'h264',
      'Main',
      30,
      'aac',
      'yuv420p',
    ]);
    near(p.fps!, 15, 0.01);
    near(p.durationSec, 3);
    expect(p.formatName).toContain('mp4');
    // x264 writes its settings into the stream: the reference frame limit must be there.
    expect(readFileSync(out.path).toString('latin1')).toMatch(/ ref=2 /);
  });

  test('ct-video-transcoding: input without audio → no audio stream; matroska container', async () => {
    const r = await runJob(
      'ct-video-transcoding',
      {
        input: { videoFileUrl: SILENT, hasAudio: false },
        output: {
          encoding: {
            width: 160,
            height: 120,
            fps: 25,
            videoCodec: 'libx264',
            audioCodec: 'aac',
            videoBitrate: '200k',
            audioBitrate: '64k',
            container: 'mkv',
          },
          fileName: 'silent.mkv',
        },
      },
      inputs,
    );
    const p = await probe(file(r, 'payload[videoFile]').path);
    expect([p.width, p.height, p.hasAudio]).toEqual([160, 120, false]);
    expect(p.formatName).toContain('matroska');
    near(p.durationSec, 2);
  });

  test('ct-thumbnails snapshot: one JPEG at the size, named as asked', async () => {
    const r = await runJob(
      'ct-thumbnails',
      {
        input: { videoFileUrl: CLIP },
        output: { mode: 'snapshot', width: 160, height: 120, snapshotSec: 1, intervals: 1, fileName: 'poster.jpg' },
      },
      inputs,
    );
    expect(r.success?.files.map((f) => [f.field, f.filename])).toEqual([['payload[imageFiles]', 'poster.jpg']]);
    const p = await probe(file(r, 'payload[imageFiles]').path);
    expect([p.width, p.height, p.videoCodec]).toEqual([160, 120, 'mjpeg']);
  });

  test('ct-thumbnails intervals: <stem>NNNNNN.<ext> from 000001, one per interval', async () => {
    const r = await runJob(
      'ct-thumbnails',
      {
        input: { videoFileUrl: CLIP },
        output: { mode: 'intervals', width: 80, height: 60, snapshotSec: 0, intervals: 1, fileName: 'thumb.jpg' },
      },
      inputs,
    );
    const names = r.success!.files.map((f) => f.filename);
    expect(r.success!.files.every((f) => f.field === 'payload[imageFiles]')).toBe(true);
    // 3 s at one frame per second: 3 frames (ffmpeg may add the last boundary frame).
    expect(names.length).toBeGreaterThanOrEqual(3);
    expect(names.length).toBeLessThanOrEqual(4);
    expect(names).toEqual(names.map((_, i) => `thumb${String(i + 1).padStart(6, '0')}.jpg`));
    const p = await probe(file(r, 'payload[imageFiles]', 1).path);
    expect([p.width, p.height]).toEqual([80, 60]);
  });

  test('ct-thumbnails snapshot past the end: clear error', async () => {
    const r = await runJob(
      'ct-thumbnails',
      {
        input: { videoFileUrl: CLIP },
        output: { mode: 'snapshot', width: 160, height: 120, snapshotSec: 30, intervals: 1, fileName: 'late.jpg' },
      },
      inputs,
    );
    expect(r.outcome).toBe('errored');
    expect(r.error).toMatch(/snapshot at 30 s is past the end of the input \(3\.\d+ s\)/);
  });

  test('ct-audio-extraction: audio only, codec, bitrate and container', async () => {
    const r = await runJob(
      'ct-audio-extraction',
      { input: { videoFileUrl: CLIP }, output: { audioCodec: 'libmp3lame', audioBitrate: '96k', container: 'mp3', fileName: 'sound.mp3' } },
      inputs,
    );
    const out = file(r, 'payload[videoFile]');
    expect(out.filename).toBe('sound.mp3');
    const p = await probe(out.path);
    expect([p.hasVideo, p.audioCodec, p.formatName]).toEqual([false, 'mp3', 'mp3']);
    near(p.durationSec, 3);
    near((p.audioBitrate ?? 0) / 1000, 96, 8);
  });

  test('ct-audio-extraction of an input without audio, ct-thumbnails of one without video: clear errors', async () => {
    const audio = await runJob(
      'ct-audio-extraction',
      { input: { videoFileUrl: SILENT }, output: { audioCodec: 'aac', audioBitrate: '96k', container: 'm4a', fileName: 'a.m4a' } },
      inputs,
    );
    expect([audio.outcome, audio.error]).toEqual(['errored', 'the input has no audio stream to extract']);
    const thumbs = await runJob(
      'ct-thumbnails',
      {
        input: { videoFileUrl: AUDIO },
        output: { mode: 'snapshot', width: 160, height: 120, snapshotSec: 1, intervals: 1, fileName: 't.jpg' },
      },
      inputs,
    );
    expect([thumbs.outcome, thumbs.error]).toEqual(['errored', 'the input has no video stream']);
  });

  test('a bad payload fails the job with every bad field named', async () => {
    const r = await runJob('ct-audio-extraction', { input: {}, output: { audioCodec: 'aac', container: 'mp4' } }, inputs);
    expect(r.outcome).toBe('errored');
    expect(r.error).toContain('ct-audio-extraction payload is invalid');
    expect(r.error).toContain('/input/videoFileUrl: is required');
    expect(r.error).toContain('/output/audioBitrate: is required');
    expect(r.error).toContain('/output/fileName: is required');
  });

  test("an ffmpeg failure reports ffmpeg's own message", async () => {
    const r = await runJob(
      'ct-video-transcoding',
      {
        input: { videoFileUrl: CLIP, hasAudio: true },
        output: {
          encoding: {
            width: 160,
            height: 120,
            fps: 25,
            videoCodec: 'libx264',
            audioCodec: 'aac',
            videoBitrate: '200k',
            audioBitrate: '64k',
            profile: 'nonsense',
            container: 'mp4',
          },
          fileName: 'bad.mp4',
        },
      },
      inputs,
    );
    expect(r.outcome).toBe('errored');
    expect(r.error).toMatch(/ffmpeg failed \(ct video\)/);
    expect(r.error).toMatch(/profile/i);
  });

  test('a path in an output file name cannot escape the work dir', async () => {
    const r = await runJob(
      'ct-audio-extraction',
      { input: { videoFileUrl: CLIP }, output: { audioCodec: 'aac', audioBitrate: '64k', container: 'm4a', fileName: '../../escape.m4a' } },
      inputs,
    );
    expect(r.outcome).toBe('completed');
    expect(file(r, 'payload[videoFile]').filename).toBe('escape.m4a');
  });
});
