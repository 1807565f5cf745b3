// CT output type → handler. A Record over OutputType: a type added to the schema without a
// handler here does not compile (see README.md in this folder).
import type { OutputType } from '../../../lib/schema/ct-job.js';
import { audioHandler } from './audio.js';
import { hlsHandler } from './hls.js';
import { thumbHandler } from './thumb.js';
import type { OutputHandler } from './types.js';
import { videoHandler } from './video.js';

export const OUTPUT_HANDLERS: Record<OutputType, OutputHandler> = {
  VIDEO: videoHandler,
  THUMB: thumbHandler,
  AUDIO: audioHandler,
  HLS: hlsHandler,
};
