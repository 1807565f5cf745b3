// HLS: one vod-hls-transcoding task per rendition of the ladder; finalization writes the master
// playlist beside the renditions. The placement tells the api-server which uploaded playlist to
// rewrite so it references the stored fragmented mp4 (the generic success path knows no HLS).
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { FfprobeData } from 'fluent-ffmpeg';
import type { HlsPayload } from '../../../lib/peertube/job-types.js';
import { ladderFor, requestedLadder, resolutionOf, renditionFps } from '../../../lib/media/ladder.js';
import { hlsKeys, inputPath, normalizeKey, splitKey } from './keys.js';
import { boundedOutputKeys, head, numOr, probeResult, storageOptions } from './results.js';
import { FinalizeError, OutputFailure, placementBase, type OutputHandler } from './types.js';

const VIDEO_FIELD = 'payload[videoFile]';
const PLAYLIST_FIELD = 'payload[resolutionPlaylistFile]';

/** RFC 6381 codec string of an ffprobe stream, as HLS master playlists list them. */
export function codecString(data: FfprobeData): string {
  const out: string[] = [];
  const v = data.streams.find((s) => s.codec_type === 'video');
  if (v?.codec_name === 'h264') {
    const profile = String(v.profile ?? '').toLowerCase();
    const pc = profile.includes('high') ? '6400' : profile.includes('main') ? '4d40' : '42e0';
    const level = Math.max(0, Math.min(255, Math.round(numOr(v.level) ?? 31)));
    out.push(`avc1.${pc}${level.toString(16).padStart(2, '0')}`);
  } else if (v?.codec_name === 'hevc') out.push('hvc1.1.6.L93.B0');
  else if (v?.codec_name) out.push(v.codec_name);
  const a = data.streams.find((s) => s.codec_type === 'audio');
  if (a?.codec_name === 'aac') out.push('mp4a.40.2');
  else if (a?.codec_name === 'mp3') out.push('mp4a.40.34');
  else if (a?.codec_name === 'opus') out.push('opus');
  return out.join(',');
}

export interface Rendition {
  playlistName: string;
  bandwidth: number;
  width: number;
  height: number;
  fps: number | undefined;
  codecs: string;
}

export function masterPlaylist(renditions: Rendition[]): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const r of [...renditions].sort((a, b) => b.bandwidth - a.bandwidth)) {
    const attrs = [`BANDWIDTH=${r.bandwidth}`, `RESOLUTION=${r.width}x${r.height}`];
    if (r.fps) attrs.push(`FRAME-RATE=${r.fps.toFixed(3)}`);
    if (r.codecs) attrs.push(`CODECS="${r.codecs}"`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, r.playlistName);
  }
  return lines.join('\n') + '\n';
}

function fpsOf(data: FfprobeData): number | undefined {
  const v = data.streams.find((s) => s.codec_type === 'video');
  const [n, d] = String(v?.avg_frame_rate ?? v?.r_frame_rate ?? '')
    .split('/')
    .map(Number);
  return n && d ? n / d : undefined;
}

export const hlsHandler: OutputHandler<'HLS'> = {
  type: 'HLS',

  plan(c) {
    const { spec, frame, probe } = c;
    if (!frame) throw new OutputFailure('CONVERSION_TYPE_ERROR', 'HLS from an audio-only input is not supported');
    const inputRes = resolutionOf(frame.width, frame.height);
    let resolutions: number[];
    if (spec.resolutions) {
      const { kept, dropped } = requestedLadder(spec.resolutions, inputRes, spec.no_enlarge === false);
      if (kept.length === 0) {
        throw new OutputFailure(
          'ENLARGEMENT_ERROR',
          `every requested resolution (${dropped.join(', ')}) is above the input resolution ${inputRes}p`,
        );
      }
      resolutions = kept;
    } else {
      resolutions = ladderFor(inputRes);
    }
    return resolutions.map((res) => {
      const uuid = c.newUuid();
      const keys = hlsKeys(c.key, res);
      const payload: HlsPayload = {
        input: { videoFileUrl: inputPath(uuid, c.videoUuid, 'max-quality'), separatedAudioFileUrl: [] },
        output: { resolution: res, fps: renditionFps(res, probe.video?.fps, spec.frame_rate), separatedAudio: false },
      };
      const placement = {
        ...placementBase(spec),
        files: { [VIDEO_FIELD]: keys.video, [PLAYLIST_FIELD]: keys.playlist },
        rewrites: { [PLAYLIST_FIELD]: VIDEO_FIELD },
      };
      return c.task({ name: `${c.label} ${res}p`, type: 'vod-hls-transcoding', uuid, payload, inputs: { video: c.input }, placement });
    });
  },

  async finalize({ s3, spec, tasks, keys, size }) {
    const bucket = spec.output_bucket;
    const masterKey = normalizeKey(spec.output_file);
    const renditions: Rendition[] = [];
    let duration: number | undefined;
    let top: { width: number; height: number } | undefined;
    for (const t of tasks) {
      const files = t.placement.files ?? {};
      const videoKey = files[VIDEO_FIELD];
      const playlistKey = files[PLAYLIST_FIELD];
      if (!videoKey || !playlistKey) throw new FinalizeError(`${t.name}: no rendition keys in its placement`);
      const data = await probeResult(s3, bucket, videoKey);
      const v = data.streams.find((s) => s.codec_type === 'video');
      const d = numOr(data.format.duration) ?? 0;
      const bytes = await head(s3, bucket, videoKey);
      const bandwidth = numOr(data.format.bit_rate) ?? (d > 0 ? Math.round((bytes * 8) / d) : 0);
      renditions.push({
        playlistName: splitKey(playlistKey).base,
        bandwidth: Math.max(1, Math.round(bandwidth)),
        width: v?.width ?? 0,
        height: v?.height ?? 0,
        fps: fpsOf(data),
        codecs: codecString(data),
      });
      duration = Math.max(duration ?? 0, d);
      if (v?.width && v.height && (!top || v.height * v.width > top.width * top.height)) top = { width: v.width, height: v.height };
    }
    const body = masterPlaylist(renditions);
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: masterKey,
          Body: body,
          ContentType: 'application/vnd.apple.mpegurl',
          ...storageOptions(spec),
        }),
      );
    } catch (err) {
      throw new FinalizeError(`cannot write the master playlist s3://${bucket}/${masterKey}: ${(err as Error).message}`);
    }
    return {
      status: 'Succeeded',
      bucket,
      ...(await boundedOutputKeys(s3, spec, [masterKey, ...keys])),
      size: size + Buffer.byteLength(body),
      ...(duration !== undefined ? { duration } : {}),
      ...(top ? top : {}),
    };
  },
};
