// AUDIO: one ct-audio-extraction task.
import { inputMedia } from './input-media.js';
import type { CtAudioPayload } from '../../../lib/peertube/job-types.js';
import { resolveAudio } from '../../../lib/presets/resolve.js';
import { inputPath, splitKey } from './keys.js';
import { describeMedia } from './results.js';
import { OutputFailure, placementBase, type OutputHandler } from './types.js';

export const audioHandler: OutputHandler<'AUDIO'> = {
  type: 'AUDIO',

  plan(c) {
    if (!c.probe.audio) throw new OutputFailure('GET_AUDIO_INFO_FAILED', 'the input has no audio stream');
    const audio = resolveAudio(c.spec);
    if (!audio.ok) throw new OutputFailure(audio.reason, audio.details);
    const uuid = c.newUuid();
    const payload: CtAudioPayload = {
      input: { videoFileUrl: inputPath(uuid, c.videoUuid, 'max-quality'), media: inputMedia(c.probe) },
      output: { ...audio.value, fileName: splitKey(c.key).base },
    };
    const placement = { ...placementBase(c.spec), files: { 'payload[videoFile]': c.key } };
    return [c.task({ name: c.label, type: 'ct-audio-extraction', uuid, payload, inputs: { video: c.input }, placement })];
  },

  async finalize({ s3, spec, keys, size }) {
    return { status: 'Succeeded', bucket: spec.output_bucket, keys, size, ...(await describeMedia(s3, spec.output_bucket, keys[0]!)) };
  },
};
