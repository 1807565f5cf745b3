// ct-audio-extraction: the audio track alone, with the requested codec, bitrate and container.
import { join } from 'node:path';
import { CtAudioPayload } from '../../lib/peertube/job-types.js';
import { validator } from '../../lib/validate.js';
import { newCommand } from '../ffmpeg.js';
import { inputInfo } from '../input.js';
import { addInput, addOutputOptions, assertOutput, isMp4Family, muxerFor, safeFileName } from './common.js';
import type { Processor } from './types.js';

export const ctAudioProcessor: Processor<CtAudioPayload> = {
  type: 'ct-audio-extraction',
  payload: validator(CtAudioPayload, 'ct-audio-extraction payload'),
  async process(ctx, p) {
    const o = p.output;
    const fileName = safeFileName(o.fileName, 'output fileName');
    const input = await ctx.openInput(p.input.videoFileUrl, 'input');
    const info = await inputInfo(input, p.input.media);
    if (!info.hasAudio) throw new Error('the input has no audio stream to extract');
    const muxer = muxerFor(o.container);
    const output = join(ctx.dir, fileName);
    const cmd = newCommand(ctx.settings);
    addInput(cmd, input.url, input.options);
    addOutputOptions(cmd, ['-map', '0:a:0', '-vn', '-c:a', o.audioCodec, '-b:a', o.audioBitrate]);
    if (isMp4Family(muxer)) addOutputOptions(cmd, ['-movflags', '+faststart']);
    addOutputOptions(cmd, ['-f', muxer]);
    cmd.output(output);
    await ctx.ffmpeg(cmd, 'ct audio', info.durationSec);
    await input.complete;
    assertOutput(output, 'ct audio');
    return { files: [{ field: 'payload[videoFile]', path: output, filename: fileName }] };
  },
};
