// vod-web-video-transcoding: H.264 + AAC mp4 at the requested height and fps, +faststart;
// resolution 0 means audio only (docs/peertube-runner-protocol.md).
import { join } from 'node:path';
import { WebVideoPayload } from '../../lib/peertube/job-types.js';
import { validator } from '../../lib/validate.js';
import { newCommand } from '../ffmpeg.js';
import {
  AAC_OPTIONS,
  addInput,
  addOutputOptions,
  fpsFilter,
  h264Options,
  openWithSeparatedAudio,
  runToFile,
  scaleToHeight,
} from './common.js';
import type { Processor } from './types.js';

export const webVideoProcessor: Processor<WebVideoPayload> = {
  type: 'vod-web-video-transcoding',
  payload: validator(WebVideoPayload, 'vod-web-video-transcoding payload'),
  async process(ctx, p) {
    const { input, audio } = await openWithSeparatedAudio(ctx, p);
    const output = join(ctx.dir, `${ctx.job.uuid}-${p.output.resolution}.mp4`);

    const cmd = newCommand(ctx.settings);
    addInput(cmd, input.url, input.options);
    if (audio) addInput(cmd, audio);
    const audioMap = audio ? '1:a:0?' : '0:a:0?';
    if (p.output.resolution === 0) {
      addOutputOptions(cmd, ['-map', audioMap, '-vn', ...AAC_OPTIONS]);
    } else {
      addOutputOptions(cmd, [
        '-map',
        '0:v:0',
        '-map',
        audioMap,
        '-vf',
        scaleToHeight(p.output.resolution) + fpsFilter(p.output.fps),
        ...h264Options(p.output.fps),
        ...AAC_OPTIONS,
      ]);
    }
    addOutputOptions(cmd, ['-movflags', '+faststart', '-f', 'mp4']);
    await runToFile(ctx, cmd, input, output, 'web video', undefined);
    return { files: [{ field: 'payload[videoFile]', path: output }] };
  },
};
