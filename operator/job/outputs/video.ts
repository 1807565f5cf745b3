// VIDEO: one ct-video-transcoding task (optional watermark), or PeerTube's audio merge (still
// image + audio) when the input has no video stream.
import { inputMedia } from './input-media.js';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { AudioMergePayload, CtVideoPayload } from '../../../lib/peertube/job-types.js';
import type { TaskStatus } from '../../../lib/schema/transcode-job.js';
import { resolveVideoEncoding, resolveSize } from '../../../lib/presets/resolve.js';
import { resolutionOf } from '../../../lib/media/ladder.js';
import { blackFrameJpeg } from '../../../lib/media/preview.js';
import { conversionRefusal } from '../../../lib/ct/conversion.js';
import { inputPath, normalizeKey, previewKey, splitKey, taskFilePath } from './keys.js';
import { deleteIntermediates, describeMedia } from './results.js';
import { intermediateKeys } from './segments.js';
import { OutputFailure, placementBase, type OutputHandler, type OutputPlanContext, type PreCheckResult } from './types.js';

function planVideo(c: OutputPlanContext, frame: NonNullable<OutputPlanContext['frame']>): TaskStatus[] {
  const { spec } = c;
  const enc = resolveVideoEncoding(spec, frame);
  if (!enc.ok) throw new OutputFailure(enc.reason, enc.details);
  const uuid = c.newUuid();
  const inputs: TaskStatus['inputs'] = { video: c.input };
  let watermark: CtVideoPayload['output']['watermark'];
  if (spec.watermark) {
    const wm = spec.watermark;
    const wmKey = normalizeKey(wm.input_file);
    const basename = `watermark-${splitKey(wmKey).base}`;
    inputs.taskFiles = { [basename]: { bucket: wm.input_bucket, key: wmKey } };
    const wmSize = wm.size ? resolveSize(wm.size, undefined) : undefined;
    watermark = {
      fileUrl: taskFilePath(uuid, c.videoUuid, basename),
      ...(wmSize ? { width: wmSize.width, height: wmSize.height } : {}),
      opacity: wm.opacity ?? 1,
      x: wm.x ?? 0,
      y: wm.y ?? 0,
    };
  }
  const payload: CtVideoPayload = {
    input: { videoFileUrl: inputPath(uuid, c.videoUuid, 'max-quality'), hasAudio: c.probe.audio !== undefined, media: inputMedia(c.probe) },
    output: { encoding: enc.value, ...(watermark ? { watermark } : {}), fileName: splitKey(c.key).base },
  };
  const placement = { ...placementBase(spec), files: { 'payload[videoFile]': c.key } };
  return [c.task({ name: c.label, type: 'ct-video-transcoding', uuid, payload, inputs, placement })];
}

function planAudioMerge(c: OutputPlanContext): TaskStatus[] {
  const { spec } = c;
  if (spec.watermark) throw new OutputFailure('WATERMARK_ERROR', 'a watermark needs a video source; the input is audio only');
  const enc = resolveVideoEncoding(spec, undefined);
  if (!enc.ok) throw new OutputFailure(enc.reason, enc.details);
  if (!c.preview)
    throw new OutputFailure('CONVERSION_TYPE_ERROR', 'no preview image is available to make a video from an audio-only input');
  const uuid = c.newUuid();
  const payload: AudioMergePayload = {
    input: {
      audioFileUrl: inputPath(uuid, c.videoUuid, 'max-quality'),
      previewFileUrl: inputPath(uuid, c.videoUuid, 'previews/max-quality'),
    },
    output: { resolution: resolutionOf(enc.value.width, enc.value.height), fps: Math.min(25, enc.value.fps) },
  };
  const inputs = { video: c.input, audio: c.input, preview: c.preview };
  const placement = { ...placementBase(spec), files: { 'payload[videoFile]': c.key } };
  return [c.task({ name: c.label, type: 'vod-audio-merge-transcoding', uuid, payload, inputs, placement })];
}

export const videoHandler: OutputHandler<'VIDEO'> = {
  type: 'VIDEO',

  /** Watermark images exist; audio-only inputs get a still image for the audio merge. */
  async preCheck({ s3, job, probe, spec }): Promise<PreCheckResult> {
    if (conversionRefusal(job.spec.job.input_type, spec)) return {}; // the planner reports it
    if (spec.watermark) {
      const wm = { bucket: spec.watermark.input_bucket, key: normalizeKey(spec.watermark.input_file) };
      try {
        await s3.send(new HeadObjectCommand({ Bucket: wm.bucket, Key: wm.key }));
      } catch (err) {
        return {
          failed: {
            reason: 'WATERMARK_ERROR',
            details: `watermark image s3://${wm.bucket}/${wm.key} cannot be read: ${(err as Error).name}`,
          },
        };
      }
      return {};
    }
    if (probe.video) return {};
    const enc = resolveVideoEncoding(spec, undefined);
    if (!enc.ok) return {}; // the planner reports it
    const ref = { bucket: spec.output_bucket, key: previewKey(spec.output_file) };
    try {
      const body = await blackFrameJpeg(enc.value.width, enc.value.height);
      await s3.send(new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: body, ContentType: 'image/jpeg' }));
      return { preview: ref };
    } catch (err) {
      return {
        failed: {
          reason: 'S3_OPS_FAILED',
          details: `cannot store the still image for the audio merge at s3://${ref.bucket}/${ref.key}: ${(err as Error).message}`,
        },
      };
    }
  },

  plan: (c) => (c.frame ? planVideo(c, c.frame) : planAudioMerge(c)),

  async finalize({ s3, spec, tasks, keys, size }) {
    const made = await describeMedia(s3, spec.output_bucket, keys[0]!);
    await deleteIntermediates(s3, intermediateKeys(tasks));
    return { status: 'Succeeded', bucket: spec.output_bucket, keys, size, ...made };
  },
};
