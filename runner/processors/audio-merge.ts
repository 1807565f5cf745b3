// vod-audio-merge-transcoding: an audio file + its preview image become an mp4 video at the
// requested height and fps, as long as the audio.
import { join } from 'node:path';
import { AudioMergePayload } from '../../lib/peertube/job-types.js';
import { validator } from '../../lib/validate.js';
import { newCommand } from '../ffmpeg.js';
import { probeMedia } from '../probe.js';
import { AAC_OPTIONS, addInput, addOutputOptions, assertOutput, fpsFilter, h264Options, scaleToHeight } from './common.js';
import type { Processor } from './types.js';

export const audioMergeProcessor: Processor<AudioMergePayload> = {
  type: 'vod-audio-merge-transcoding',
  payload: validator(AudioMergePayload, 'vod-audio-merge-transcoding payload'),
  async process(ctx, p) {
    const audio = await ctx.download(p.input.audioFileUrl, 'input-audio');
    const preview = await ctx.download(p.input.previewFileUrl, 'preview');
    const info = await probeMedia(audio);
    if (!info.hasAudio) throw new Error('the audio input has no audio stream');
    if (!info.durationSec) throw new Error('cannot read the duration of the audio input');
    const fps = p.output.fps > 0 ? p.output.fps : 25;
    const res = p.output.resolution > 0 ? p.output.resolution : 480;
    const output = join(ctx.dir, `${ctx.job.uuid}-${res}.mp4`);

    const cmd = newCommand(ctx.settings);
    addInput(cmd, preview, ['-loop', '1', '-framerate', String(fps)]);
    addInput(cmd, audio);
    addOutputOptions(cmd, [
      '-map',
      '0:v:0',
      '-map',
      '1:a:0',
      '-vf',
      `${scaleToHeight(res)}${fpsFilter(fps)},format=yuv420p`,
      ...h264Options(fps),
      '-tune',
      'stillimage',
      ...AAC_OPTIONS,
      // The image loops forever: the audio's length bounds the output.
      '-t',
      info.durationSec.toFixed(3),
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
    ]);
    cmd.output(output);
    await ctx.ffmpeg(cmd, 'audio merge', info.durationSec);
    assertOutput(output, 'audio merge');
    return { files: [{ field: 'payload[videoFile]', path: output }] };
  },
};
