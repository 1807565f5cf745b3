// ct-audio-extraction: the audio track alone, with the requested codec, bitrate and container.
import { CtAudioPayload } from '../../lib/peertube/job-types.js';
import { validator } from '../../lib/validate.js';
import { newCommand } from '../ffmpeg.js';
import { addInput, addOutputOptions, isMp4Family, muxerFor, openCtInput, runToFile } from './common.js';
import type { Processor } from './types.js';

export const ctAudioProcessor: Processor<CtAudioPayload> = {
  type: 'ct-audio-extraction',
  payload: validator(CtAudioPayload, 'ct-audio-extraction payload'),
  async process(ctx, p) {
    const o = p.output;
    const { input, info, fileName, output } = await openCtInput(ctx, p, 'audio');
    const muxer = muxerFor(o.container);
    const cmd = newCommand(ctx.settings);
    addInput(cmd, input.url, input.options);
    addOutputOptions(cmd, ['-map', '0:a:0', '-vn', '-c:a', o.audioCodec, '-b:a', o.audioBitrate]);
    if (isMp4Family(muxer)) addOutputOptions(cmd, ['-movflags', '+faststart']);
    addOutputOptions(cmd, ['-f', muxer]);
    await runToFile(ctx, cmd, input, output, 'ct audio', info.durationSec);
    return { files: [{ field: 'payload[videoFile]', path: output, filename: fileName }] };
  },
};
