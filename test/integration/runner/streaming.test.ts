// Issue 18: the runner's streamed input (ffmpeg reads while the download is written) and streamed
// result upload (a file sent while it grows), with real ffmpeg and a real HTTP server + busboy.
import { execFile } from 'node:child_process';
import { appendFileSync, createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { promisify } from 'node:util';
import busboy from 'busboy';
import { inputLayout, openInput } from '../../../runner/input.js';
import { ProtocolClient, type AcceptedJob } from '../../../runner/protocol-client.js';
import { StreamedUploadMismatch } from '../../../runner/upload.js';
import { generateClip } from '../../helpers/media.js';

const exec = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'ct-runner-stream-'));
let fast: string;
let late: string;
let frag: string;
let mkv: string;

beforeAll(async () => {
  fast = await generateClip(join(root, 'fast.mp4'), { durationSec: 6, width: 640, height: 360, fps: 25 });
  late = join(root, 'late.mp4');
  frag = join(root, 'frag.mp4');
  mkv = join(root, 'clip.mkv');
  await exec('ffmpeg', ['-v', 'error', '-y', '-i', fast, '-c', 'copy', '-f', 'mp4', late]);
  await exec('ffmpeg', ['-v', 'error', '-y', '-i', fast, '-c', 'copy', '-movflags', '+frag_keyframe+empty_moov', frag]);
  await exec('ffmpeg', ['-v', 'error', '-y', '-i', fast, '-c', 'copy', mkv]);
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The file's bytes at `bytesPerSec`, as a download would arrive. */
function slowly(file: string, bytesPerSec: number): Readable {
  return createReadStream(file, { highWaterMark: 64 * 1024 }).pipe(
    new Transform({
      transform(chunk: Buffer, _e, cb) {
        setTimeout(() => cb(null, chunk), (chunk.length / bytesPerSec) * 1000);
      },
    }),
  );
}

async function frameHashes(args: string[]): Promise<string> {
  const { stdout } = await exec('ffmpeg', ['-v', 'error', ...args, '-map', '0', '-f', 'framemd5', '-'], { maxBuffer: 64 * 1024 * 1024 });
  return stdout.replace(/^#.*\n/gm, '');
}

test('layout detection: moov first streams; moov at the end, fragmented and non-MP4 inputs download first', () => {
  expect(inputLayout(readFileSync(fast), true)).toMatchObject({ kind: 'stream' });
  expect(inputLayout(readFileSync(fast).subarray(0, 40), false)).toEqual({ kind: 'more' });
  expect(inputLayout(readFileSync(late), true)).toEqual({ kind: 'download', why: 'media data before the moov box' });
  expect(inputLayout(readFileSync(frag), true)).toEqual({ kind: 'download', why: 'fragmented MP4' });
  expect(inputLayout(readFileSync(mkv), true)).toEqual({ kind: 'download', why: 'not an MP4/MOV file' });
  expect(inputLayout(Buffer.alloc(0), true)).toEqual({ kind: 'download', why: 'no moov box' });
});

test('a moov-first MP4 is read by ffmpeg while it downloads, with the same frames as the whole file', async () => {
  const size = readFileSync(fast).length;
  const started = Date.now();
  const input = await openInput(slowly(fast, size / 3), join(root, 'in-fast'), new AbortController().signal, (e) => {
    throw e;
  });
  const openedAfter = Date.now() - started;
  expect(input.streaming).toBe(true);
  expect(input.options).toContain('-follow');
  // ffmpeg could start after the head, well before the 3 s the download takes.
  expect(openedAfter).toBeLessThan(1500);
  const streamed = await frameHashes([...input.options, '-i', input.url]);
  await input.complete;
  expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
  expect(streamed).toBe(await frameHashes(['-i', fast]));
}, 60_000);

test('moov at the end: the whole input is downloaded before ffmpeg starts, and decodes in full', async () => {
  const input = await openInput(slowly(late, 4_000_000), join(root, 'in-late'), new AbortController().signal, () => undefined);
  expect(input.streaming).toBe(false);
  expect(input.options).toEqual([]);
  expect(readFileSync(input.path).equals(readFileSync(late))).toBe(true);
  expect(await frameHashes(['-i', input.url])).toBe(await frameHashes(['-i', late]));
}, 60_000);

test('a download failing while ffmpeg reads reports the error (the runner then stops ffmpeg)', async () => {
  const bytes = readFileSync(fast);
  const body = new Readable({ read() {} });
  const failures: Error[] = [];
  const opening = openInput(body, join(root, 'in-broken'), new AbortController().signal, (e) => failures.push(e));
  body.push(bytes.subarray(0, Math.floor(bytes.length / 2)));
  const input = await opening;
  expect(input.streaming).toBe(true);
  body.destroy(new Error('connection reset'));
  await expect(input.complete).rejects.toThrow('connection reset');
  await new Promise((r) => setImmediate(r));
  expect(failures.map((e) => e.message)).toEqual(['connection reset']);
});

describe('streamed success upload', () => {
  let server: Server;
  let received: { fields: Record<string, string>; files: Record<string, Buffer>; error?: string }[];
  let client: ProtocolClient;
  const job: AcceptedJob = { uuid: 'u1', type: 'vod-hls-transcoding', payload: {}, jobToken: 'ptrjt-x' };

  beforeAll(async () => {
    received = [];
    server = createServer((req, res) => {
      const got: (typeof received)[number] = { fields: {}, files: {} };
      received.push(got);
      const bb = busboy({ headers: req.headers });
      bb.on('field', (k, v) => (got.fields[k] = v));
      bb.on('file', (k, stream) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => (got.files[k] = Buffer.concat(chunks)));
      });
      bb.on('close', () => res.writeHead(204).end());
      bb.on('error', (e: Error) => (got.error = e.message));
      req.on('error', (e) => (got.error = e.message));
      req.pipe(bb);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = new ProtocolClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('a growing file is sent as it is written, then the file made at the end', async () => {
    const video = join(root, 'grow.mp4');
    const playlist = join(root, 'grow.m3u8');
    let ended = false;
    const writer = (async () => {
      writeFileSync(video, '');
      for (let i = 0; i < 20; i++) {
        appendFileSync(video, Buffer.alloc(100_000, i));
        await new Promise((r) => setTimeout(r, 20));
      }
      writeFileSync(playlist, '#EXTM3U\n');
      ended = true;
    })();
    await client.success('ptrt-x', job, {}, [
      { field: 'payload[videoFile]', path: video, ready: writer, growing: true },
      { field: 'payload[resolutionPlaylistFile]', path: playlist, ready: writer },
    ]);
    expect(ended).toBe(true);
    const got = received.at(-1)!;
    expect(got.fields).toEqual({ runnerToken: 'ptrt-x', jobToken: 'ptrjt-x' });
    expect(got.files['payload[videoFile]']!.equals(readFileSync(video))).toBe(true);
    expect(got.files['payload[resolutionPlaylistFile]']!.toString()).toBe('#EXTM3U\n');
  });

  test('a writer that rewrites what was already sent fails the upload instead of storing it', async () => {
    const video = join(root, 'rewrite.mp4');
    const writer = (async () => {
      writeFileSync(video, Buffer.alloc(200_000, 1));
      await new Promise((r) => setTimeout(r, 300));
      writeFileSync(video, Buffer.alloc(200_000, 2)); // same size, other bytes: as a header rewrite would
    })();
    await expect(
      client.success('ptrt-x', job, {}, [{ field: 'payload[videoFile]', path: video, ready: writer, growing: true }]),
    ).rejects.toBeInstanceOf(StreamedUploadMismatch);
  });

  test('the file cannot be made (ffmpeg failed): the upload fails with that error', async () => {
    const video = join(root, 'never.mp4');
    const writer = new Promise<void>((_, reject) => setTimeout(() => reject(new Error('ffmpeg failed (hls): exit 1')), 200));
    await expect(
      client.success('ptrt-x', job, {}, [{ field: 'payload[videoFile]', path: video, ready: writer, growing: true }]),
    ).rejects.toThrow('ffmpeg failed (hls): exit 1');
  });
});
