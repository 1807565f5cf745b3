// THUMB: one ct-thumbnails task (a snapshot or one frame per interval); many files go under a prefix.
import { inputMedia } from './input-media.js';
import type { CtThumbnailsPayload } from '../../../lib/peertube/job-types.js';
import { resolveSize } from '../../../lib/presets/resolve.js';
import { MAX_RESULT_FILES, intervalFrames } from '../../../lib/jobs/status-limits.js';
import { inputPath, prefixOf, splitKey } from './keys.js';
import { boundedOutputKeys } from './results.js';
import { OutputFailure, placementBase, type OutputHandler } from './types.js';

export const thumbHandler: OutputHandler<'THUMB'> = {
  type: 'THUMB',

  plan(c) {
    const { spec, probe, frame } = c;
    if (!frame) throw new OutputFailure('CONVERSION_TYPE_ERROR', 'thumbnails need a video source; the input is audio only');
    const size = resolveSize(spec.size ?? '', frame);
    if (!size) throw new OutputFailure('TRANSCODE_FAIL', `invalid thumbnail size ${JSON.stringify(spec.size)}`);
    const mode = spec.mode ?? 'snapshot';
    const snapshotSec = spec.snapshot_sec ?? 0;
    if (mode === 'snapshot' && snapshotSec >= probe.duration) {
      throw new OutputFailure(
        'TRANSCODE_FAIL',
        `snapshot_sec ${snapshotSec} is beyond the input duration (${probe.duration.toFixed(2)} s)`,
      );
    }
    const frames = mode === 'intervals' ? intervalFrames(probe.duration, spec.intervals ?? 10) : 1;
    if (frames > MAX_RESULT_FILES) {
      throw new OutputFailure(
        'TRANSCODE_FAIL',
        `intervals of ${spec.intervals ?? 10} s make ${frames} thumbnails of this ${probe.duration.toFixed(0)} s input; ` +
          `at most ${MAX_RESULT_FILES} per output: use a longer interval`,
      );
    }
    const uuid = c.newUuid();
    const payload: CtThumbnailsPayload = {
      input: { videoFileUrl: inputPath(uuid, c.videoUuid, 'max-quality'), media: inputMedia(c.probe) },
      output: {
        mode,
        width: size.width,
        height: size.height,
        snapshotSec,
        intervals: spec.intervals ?? 10,
        fileName: splitKey(c.key).base,
      },
    };
    const placement = { ...placementBase(spec), prefix: prefixOf(c.key) };
    return [c.task({ name: c.label, type: 'ct-thumbnails', uuid, payload, inputs: { video: c.input }, placement })];
  },

  async finalize({ s3, spec, keys, size }) {
    return { status: 'Succeeded', bucket: spec.output_bucket, size, ...(await boundedOutputKeys(s3, spec, keys)) };
  },
};
