// vod-hls-transcoding: one rendition as single-file fragmented mp4 + its playlist, named as the
// official runner names them (`<uuid>-<res>-fragmented.mp4`, `<uuid>-<res>.m3u8`), the playlist
// referencing the mp4 by that name with byte ranges (docs/peertube-runner-protocol.md).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { HlsPayload } from '../../lib/peertube/job-types.js';
import { validator } from '../../lib/validate.js';
import { newCommand } from '../ffmpeg.js';
import {
  AAC_OPTIONS,
  addInput,
  addOutputOptions,
  assertOutput,
  fpsFilter,
  h264Options,
  openWithSeparatedAudio,
  scaleToHeight,
} from './common.js';
import type { Processor } from './types.js';

export function hlsFileNames(uuid: string, resolution: number): { playlist: string; video: string } {
  return { playlist: `${uuid}-${resolution}.m3u8`, video: `${uuid}-${resolution}-fragmented.mp4` };
}

/** ffmpeg output options of one rendition (input 0 the video, input 1 the separated audio if any). */
export function hlsOutputOptions(res: number, fps: number, separatedAudio: boolean, audioInput: boolean, videoFile: string): string[] {
  const audioMap = ['-map', audioInput ? '1:a:0?' : '0:a:0?', ...AAC_OPTIONS];
  const o: string[] = [];
  if (res === 0) {
    o.push('-vn', ...audioMap);
  } else {
    o.push('-map', '0:v:0', '-vf', scaleToHeight(res) + fpsFilter(fps), ...h264Options(fps));
    // separatedAudio: the audio has its own (resolution 0) playlist, renditions carry video only.
    if (separatedAudio) o.push('-an');
    else o.push(...audioMap);
  }
  o.push(
    ...['-f', 'hls', '-hls_time', '4', '-hls_list_size', '0', '-hls_playlist_type', 'vod'],
    ...['-hls_segment_type', 'fmp4', '-hls_flags', 'single_file', '-hls_segment_filename', videoFile],
  );
  return o;
}

export const hlsProcessor: Processor<HlsPayload> = {
  type: 'vod-hls-transcoding',
  payload: validator(HlsPayload, 'vod-hls-transcoding payload'),
  async process(ctx, p) {
    const { input, audio } = await openWithSeparatedAudio(ctx, p);
    const res = p.output.resolution;
    const names = hlsFileNames(randomUUID(), res);
    const playlist = join(ctx.dir, names.playlist);
    const video = join(ctx.dir, names.video);

    const cmd = newCommand(ctx.settings);
    addInput(cmd, input.url, input.options);
    if (audio) addInput(cmd, audio);
    addOutputOptions(cmd, hlsOutputOptions(res, p.output.fps, p.output.separatedAudio, audio !== undefined, video));
    cmd.output(playlist);
    const done = ctx.ffmpeg(cmd, 'hls', undefined).then(async () => {
      await input.complete;
      assertOutput(video, 'hls');
      assertOutput(playlist, 'hls');
    });
    // The upload observes `done`; this handler only keeps a failure before the upload starts from going unhandled.
    done.catch(() => undefined);
    // Returned while ffmpeg runs: the fMP4 is uploaded as it is written, the playlist once it is final.
    return {
      files: [
        { field: 'payload[videoFile]', path: video, filename: names.video, ready: done, growing: true },
        { field: 'payload[resolutionPlaylistFile]', path: playlist, filename: names.playlist, ready: done },
      ],
    };
  },
};
