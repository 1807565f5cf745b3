// `input_asset_info` in the G1 shape (docs/ct-protocol.md): CT G1 scraped `ffmpeg -i`'s
// stderr, so its values are ffmpeg's own text — duration in float seconds, everything else strings as
// ffmpeg prints them ("1280x720", "2500 kb/s", "29.97 fps", "44100 Hz", "stereo") and ratio = w/h with
// one decimal. Built from our ffprobe data (ProbeInfo); keys whose data is unknown are left out (G1's
// schema has them all optional). The full probe goes to clients under `input_asset_probe` (extension).
import type { ProbeInfo } from '../schema/transcode-job.js';
import { displayFrame } from '../media/probe.js';

export interface G1AssetInfo {
  duration?: number;
  vcodec?: string;
  color?: string;
  size?: string;
  vbitrate?: string;
  fps?: string;
  ratio?: string;
  acodec?: string;
  freq?: string;
  mode?: string;
  abitrate?: string;
}

/** ffmpeg's print_fps: two decimals unless whole ("25 fps", "29.97 fps"). */
export function ffmpegFps(fps: number): string {
  const v = Math.round(fps * 100);
  return v % 100 ? `${(v / 100).toFixed(2)} fps` : `${(v / 100).toFixed(0)} fps`;
}

/** ffmpeg prints bit_rate / 1000 (integer division) in kb/s. */
export function ffmpegKbps(bitsPerSecond: number): string {
  return `${Math.floor(bitsPerSecond / 1000)} kb/s`;
}

/** ffmpeg's channel layout names for the usual channel counts. */
export function channelMode(channels: number): string {
  const names: Record<number, string> = { 1: 'mono', 2: 'stereo', 3: '2.1', 4: 'quad', 5: '4.1', 6: '5.1', 7: '6.1', 8: '7.1' };
  return names[channels] ?? `${channels} channels`;
}

export function g1AssetInfo(probe: ProbeInfo | undefined): G1AssetInfo {
  if (!probe) return {};
  const info: G1AssetInfo = {};
  if (probe.duration > 0) info.duration = Math.round(probe.duration * 100) / 100;
  const v = probe.video;
  const frame = displayFrame(probe);
  if (v && frame) {
    info.vcodec = v.codec;
    if (v.pixFmt) info.color = v.pixFmt;
    info.size = `${frame.width}x${frame.height}`;
    if (v.bitrate !== undefined) info.vbitrate = ffmpegKbps(v.bitrate);
    if (v.fps > 0) info.fps = ffmpegFps(v.fps);
    info.ratio = (frame.width / frame.height).toFixed(1);
  }
  const a = probe.audio;
  if (a) {
    info.acodec = a.codec;
    if (a.sampleRate !== undefined) info.freq = `${a.sampleRate} Hz`;
    if (a.channels !== undefined) info.mode = channelMode(a.channels);
    if (a.bitrate !== undefined) info.abitrate = ffmpegKbps(a.bitrate);
  }
  return info;
}
