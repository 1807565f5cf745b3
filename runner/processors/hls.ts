// vod-hls-transcoding: one rendition as single-file fragmented mp4 + its playlist, named as the
// official runner names them (`<uuid>-<res>-fragmented.mp4`, `<uuid>-<res>.m3u8`), the playlist
// referencing the mp4 by that name with byte ranges (reference §2.10).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { HlsPayload } from '../../lib/peertube/job-types.js';
import { validator } from '../../lib/validate.js';
import { newCommand } from '../ffmpeg.js';
import { probeMedia } from '../probe.js';
import { AAC_OPTIONS, addInput, addOutputOptions, assertOutput, fpsFilter, h264Options, scaleToHeight } from './common.js';
import type { Processor } from './types.js';

export function hlsFileNames(uuid: string, resolution: number): { playlist: string; video: string } {
  return { playlist: `${uuid}-${resolution}.m3u8`, video: `${uuid}-${resolution}-fragmented.mp4` };
}

export const hlsProcessor: Processor<HlsPayload> = {
  type: 'vod-hls-transcoding',
  payload: validator(HlsPayload, 'vod-hls-transcoding payload'),
  async process(ctx, p) {
    const input = await ctx.download(p.input.videoFileUrl, 'input');
    const audioUrl = p.input.separatedAudioFileUrl[0];
    const audio = audioUrl ? await ctx.download(audioUrl, 'input-audio') : undefined;
    const info = await probeMedia(input);
    const res = p.output.resolution;
    const names = hlsFileNames(randomUUID(), res);
    const playlist = join(ctx.dir, names.playlist);
    const video = join(ctx.dir, names.video);

    const cmd = newCommand(ctx.settings);
    addInput(cmd, input);
    if (audio) addInput(cmd, audio);
    const audioMap = ['-map', audio ? '1:a:0?' : '0:a:0?', ...AAC_OPTIONS];
    if (res === 0) {
      addOutputOptions(cmd, ['-vn', ...audioMap]);
    } else {
      addOutputOptions(cmd, ['-map', '0:v:0', '-vf', scaleToHeight(res) + fpsFilter(p.output.fps), ...h264Options(p.output.fps)]);
      // separatedAudio: the audio has its own (resolution 0) playlist, renditions carry video only.
      if (p.output.separatedAudio) addOutputOptions(cmd, ['-an']);
      else addOutputOptions(cmd, audioMap);
    }
    addOutputOptions(cmd, [
      '-f',
      'hls',
      '-hls_time',
      '4',
      '-hls_list_size',
      '0',
      '-hls_playlist_type',
      'vod',
      '-hls_segment_type',
      'fmp4',
      '-hls_flags',
      'single_file',
      '-hls_segment_filename',
      video,
    ]);
    cmd.output(playlist);
    await ctx.ffmpeg(cmd, 'hls', info.durationSec);
    assertOutput(video, 'hls');
    assertOutput(playlist, 'hls');
    return {
      files: [
        { field: 'payload[videoFile]', path: video, filename: names.video },
        { field: 'payload[resolutionPlaylistFile]', path: playlist, filename: names.playlist },
      ],
    };
  },
};
