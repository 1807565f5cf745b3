// Issue 18: the operator's probe reads only the head of the input (ffprobe on a URL makes range
// requests), never the whole object — counted at a local HTTP server that honours Range like S3.
import { execFile } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ffprobe, toProbeInfo } from '../../../lib/media/probe.js';
import { generateClip } from '../../helpers/media.js';

const exec = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'ct-probe-range-'));
let server: Server;
let base: string;
let sent = 0;
let ranges: string[] = [];

beforeAll(async () => {
  // ~20 MB: large enough that reading it whole would show.
  const fast = await generateClip(join(root, 'fast.mp4'), { durationSec: 20, width: 1280, height: 720, fps: 30 });
  await exec('ffmpeg', ['-v', 'error', '-y', '-i', fast, '-c', 'copy', '-f', 'mp4', join(root, 'late.mp4')]);
  server = createServer((req, res) => {
    const file = join(root, (req.url ?? '').slice(1));
    const size = statSync(file).size;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const end = m?.[2] ? Number(m[2]) : size - 1;
    ranges.push(req.headers.range ?? 'none');
    res.writeHead(m ? 206 : 200, {
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
      ...(m ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    const body = createReadStream(file, { start, end });
    body.on('data', (c) => (sent += c.length));
    body.pipe(res);
    res.on('close', () => body.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(root, { recursive: true, force: true });
});

test.each(['fast.mp4', 'late.mp4'])('ffprobe of %s over HTTP reads a small part of the object', async (name) => {
  sent = 0;
  ranges = [];
  const info = toProbeInfo(await ffprobe(`${base}/${name}`));
  await new Promise((r) => setTimeout(r, 300)); // let closed responses settle
  const size = statSync(join(root, name)).size;
  expect(Math.round(info.duration)).toBe(20);
  expect(info.video).toMatchObject({ width: 1280, height: 720 });
  // What was sent includes what the sockets buffered before ffprobe closed them (seen: 14–25 % of this
  // 19 MB file, depending on timing), so the bound is "far from the whole object", not a byte count.
  expect(sent).toBeLessThan(size * 0.5);
  if (name === 'late.mp4') expect(ranges.length).toBeGreaterThan(1); // seeks to the moov box at the end
});
