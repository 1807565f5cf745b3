// Frame-level oracles for encodes (real ffprobe/ffmpeg): packet timestamps and key-frame flags,
// decoded-frame hashes (framemd5), per-frame PSNR between two files, stream parameters.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const BUF = 256 * 1024 * 1024;

export interface Packet {
  pts: number;
  dts: number;
  key: boolean;
}

/** Video packets in presentation order (pts seconds, key-frame flag). */
export async function videoPackets(file: string): Promise<Packet[]> {
  const { stdout } = await exec(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,dts_time,flags', '-of', 'json', file],
    { maxBuffer: BUF },
  );
  const packets = (JSON.parse(stdout) as { packets: { pts_time: string; dts_time: string; flags: string }[] }).packets;
  return packets
    .map((p) => ({ pts: Number(p.pts_time), dts: Number(p.dts_time), key: p.flags.includes('K') }))
    .sort((a, b) => a.pts - b.pts);
}

/** MD5 of every decoded video frame, in output order. */
export async function frameHashes(file: string): Promise<string[]> {
  const { stdout } = await exec('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'framemd5', '-'], { maxBuffer: BUF });
  return stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').pop()!.trim());
}

/** PSNR (average over planes, dB) of every frame of `a` against the same frame of `b`. */
export async function psnrPerFrame(a: string, b: string): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ct-psnr-'));
  const log = join(dir, 'psnr.log');
  try {
    await exec('ffmpeg', ['-v', 'error', '-i', a, '-i', b, '-lavfi', `[0:v][1:v]psnr=stats_file=${log}`, '-f', 'null', '-'], {
      maxBuffer: BUF,
    });
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const v = /psnr_avg:(\S+)/.exec(l)?.[1];
        return v === 'inf' ? Infinity : Number(v);
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface StreamParams {
  codec: string;
  profile: string;
  level: number;
  pixFmt: string;
  width: number;
  height: number;
  durationSec: number;
  audioDurationSec: number | undefined;
}

/** The video stream's codec parameters and duration, and the audio stream's duration. */
export async function streamParams(file: string): Promise<StreamParams> {
  const { stdout } = await exec(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,profile,level,pix_fmt,width,height,duration', '-of', 'json', file],
    { maxBuffer: BUF },
  );
  const streams = (JSON.parse(stdout) as { streams: Record<string, string | number>[] }).streams;
  const v = streams.find((s) => s['codec_type'] === 'video');
  const a = streams.find((s) => s['codec_type'] === 'audio');
  if (!v) throw new Error(`${file} has no video stream`);
  return {
    codec: String(v['codec_name']),
    profile: String(v['profile'] ?? ''),
    level: Number(v['level'] ?? 0),
    pixFmt: String(v['pix_fmt']),
    width: Number(v['width']),
    height: Number(v['height']),
    durationSec: Number(v['duration']),
    audioDurationSec: a ? Number(a['duration']) : undefined,
  };
}
