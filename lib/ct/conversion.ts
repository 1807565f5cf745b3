// CT's conversion rules and the G2 way of asking for HLS (docs/ct-protocol.md).
// G1 allows VIDEO → {VIDEO, THUMB, AUDIO} (our HLS is a VIDEO product too) and AUDIO → AUDIO;
// anything else is CONVERSION_TYPE_ERROR for that output. CT G2 samples ask for HLS with a VIDEO
// output whose preset is one of the hls* presets and whose file ends in .m3u8 (ffmpeg picked the HLS
// muxer from the extension): such an output is made as our HLS output with one rendition at the
// preset's resolution, never above the input's (G2 clamped instead of refusing).
import type { OutputSpec } from '../schema/ct-job.js';
import { getPreset, resolveSize, extensionOf } from '../presets/resolve.js';
import { resolutionOf } from '../media/ladder.js';

const ALLOWED: Record<'VIDEO' | 'AUDIO', readonly OutputSpec['output_type'][]> = {
  VIDEO: ['VIDEO', 'THUMB', 'AUDIO', 'HLS'],
  AUDIO: ['AUDIO'],
};

export function conversionRefusal(
  inputType: 'VIDEO' | 'AUDIO',
  spec: Pick<OutputSpec, 'output_type'>,
): { reason: 'CONVERSION_TYPE_ERROR'; details: string } | undefined {
  if (ALLOWED[inputType].includes(spec.output_type)) return undefined;
  return {
    reason: 'CONVERSION_TYPE_ERROR',
    details: `a ${inputType} input cannot make a ${spec.output_type} output (a ${inputType} input makes ${ALLOWED[inputType].join(', ')})`,
  };
}

/** A VIDEO output asking for HLS the G2 way (.m3u8 file), as the equivalent HLS output; else undefined. */
export function hlsFromVideo(spec: OutputSpec, inputResolution: number | undefined): OutputSpec | undefined {
  if (spec.output_type !== 'VIDEO' || extensionOf(spec.output_file) !== 'm3u8') return undefined;
  const preset = spec.preset === undefined ? undefined : getPreset(spec.preset);
  const frame = preset ? resolveSize(spec.size ?? preset.size, undefined) : undefined;
  if (!frame) return undefined; // the VIDEO path reports the unknown preset / bad size
  let resolution = resolutionOf(frame.width, frame.height);
  if (inputResolution !== undefined && resolution > inputResolution && spec.no_enlarge !== false) resolution = inputResolution;
  resolution = Math.max(144, resolution - (resolution % 2));
  const { output_bucket, output_file, s3_rrs, s3_encrypt, frame_rate } = spec;
  return {
    output_type: 'HLS',
    output_bucket,
    output_file,
    resolutions: [resolution],
    ...(s3_rrs !== undefined ? { s3_rrs } : {}),
    ...(s3_encrypt !== undefined ? { s3_encrypt } : {}),
    ...(frame_rate !== undefined ? { frame_rate } : {}),
    no_enlarge: false,
  };
}

/** The output as the stack makes it: a G2-style HLS request becomes the HLS output, others stay. */
export function effectiveOutput(spec: OutputSpec, inputResolution: number | undefined): OutputSpec {
  return hlsFromVideo(spec, inputResolution) ?? spec;
}
