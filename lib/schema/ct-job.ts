// The CT G1 job description (START_JOB `data`), plus our HLS and AUDIO output types.
// Constraints follow the G1 JSON schemas (docs/ct-protocol.md); the per-type
// rules are expressed twice from this one place: as JSON Schema if/then for ajv (SQS edge) and
// as CEL rules for the apiserver (CRD), because CRD structural schemas cannot express if/then.
import { Type, type Static } from '@sinclair/typebox';
import { BucketName, ObjectKey, Size, Bitrate, StringEnum, cel } from './common.js';

export const OUTPUT_TYPES = ['VIDEO', 'THUMB', 'AUDIO', 'HLS'] as const;
export const INPUT_TYPES = ['VIDEO', 'AUDIO'] as const;

export const Watermark = Type.Object(
  {
    input_bucket: BucketName({ description: 'Bucket of the watermark image.' }),
    input_file: ObjectKey({ description: 'Key of the watermark image (PNG with alpha recommended).' }),
    size: Type.Optional(Size({ description: 'Overlay size WxH; default: the image size.' })),
    opacity: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Alpha multiplier, default 1.' })),
    x: Type.Optional(Type.Integer({ description: 'Pixels from the left (>=0) or from the right (<0). Default 0.' })),
    y: Type.Optional(Type.Integer({ description: 'Pixels from the top (>=0) or from the bottom (<0). Default 0.' })),
  },
  { additionalProperties: false },
);

const videoOnly = ['preset', 'video_codec', 'video_bitrate', 'frame_rate', 'keep_ratio', 'watermark'] as const;
const thumbOnly = ['mode', 'snapshot_sec', 'intervals'] as const;

export const Output = Type.Object(
  {
    output_type: StringEnum([...OUTPUT_TYPES], { description: 'VIDEO, THUMB, AUDIO or HLS.' }),
    output_bucket: BucketName({ description: 'Destination bucket.' }),
    output_file: ObjectKey({
      description:
        'Destination key. VIDEO/AUDIO/snapshot THUMB: the object key; intervals THUMB: its directory and base name; HLS: the master playlist key (renditions beside it).',
    }),
    s3_rrs: Type.Optional(Type.Boolean({ description: 'Store with storage class REDUCED_REDUNDANCY.' })),
    s3_encrypt: Type.Optional(Type.Boolean({ description: 'Store with server-side encryption AES256.' })),
    // VIDEO
    preset: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'CT preset name (VIDEO).' })),
    size: Type.Optional(Size({ description: 'Frame size WxH (VIDEO override; THUMB required).' })),
    video_codec: Type.Optional(Type.String({ minLength: 3, maxLength: 64 })),
    audio_codec: Type.Optional(Type.String({ minLength: 3, maxLength: 64 })),
    video_bitrate: Type.Optional(Bitrate()),
    audio_bitrate: Type.Optional(Bitrate()),
    frame_rate: Type.Optional(
      Type.Number({ minimum: 1, maximum: 240, description: 'Frames per second, 1–240 (fractions allowed, e.g. 29.97).' }),
    ),
    keep_ratio: Type.Optional(Type.Boolean({ description: 'Output ratio must equal the input ratio (default true).' })),
    no_enlarge: Type.Optional(Type.Boolean({ description: 'Refuse outputs larger than the input (default true).' })),
    watermark: Type.Optional(Watermark),
    // THUMB
    mode: Type.Optional(StringEnum(['snapshot', 'intervals'], { description: 'THUMB mode, default snapshot.' })),
    snapshot_sec: Type.Optional(Type.Integer({ minimum: 0 })),
    intervals: Type.Optional(Type.Integer({ minimum: 1 })),
    // HLS
    resolutions: Type.Optional(
      Type.Array(Type.Integer({ minimum: 144, maximum: 4320 }), {
        minItems: 1,
        maxItems: 10,
        uniqueItems: true,
        description: 'HLS rendition heights; default: the PeerTube ladder up to the input height.',
      }),
    ),
  },
  {
    additionalProperties: false,
    // ajv: per-type requirements (CRD: the CEL rules below say the same).
    allOf: [
      {
        if: { properties: { output_type: { const: 'VIDEO' } } },
        then: { required: ['preset'] },
      },
      {
        if: { properties: { output_type: { const: 'THUMB' } } },
        then: { required: ['size'], not: { anyOf: videoOnly.map((k) => ({ required: [k] })) } },
      },
      {
        if: { properties: { output_type: { enum: ['AUDIO', 'HLS'] } } },
        then: { not: { anyOf: [...videoOnly, ...thumbOnly].filter((k) => k !== 'frame_rate').map((k) => ({ required: [k] })) } },
      },
      {
        if: { properties: { output_type: { enum: ['VIDEO', 'AUDIO'] } } },
        then: { not: { anyOf: thumbOnly.map((k) => ({ required: [k] })) } },
      },
      {
        if: { not: { properties: { output_type: { const: 'HLS' } } } },
        then: { not: { required: ['resolutions'] } },
      },
    ],
    ...cel(
      {
        rule: "self.output_type != 'VIDEO' || has(self.preset)",
        message: 'a VIDEO output needs a preset',
        fieldPath: '.preset',
        reason: 'FieldValueRequired',
      },
      {
        rule: "self.output_type != 'THUMB' || has(self.size)",
        message: 'a THUMB output needs a size (WxH)',
        fieldPath: '.size',
        reason: 'FieldValueRequired',
      },
      {
        rule: "self.output_type == 'VIDEO' || !has(self.preset)",
        message: 'preset is only allowed on VIDEO outputs',
        fieldPath: '.preset',
        reason: 'FieldValueForbidden',
      },
      {
        rule: "self.output_type == 'VIDEO' || !has(self.watermark)",
        message: 'watermark is only allowed on VIDEO outputs',
        fieldPath: '.watermark',
        reason: 'FieldValueForbidden',
      },
      {
        rule: "self.output_type == 'THUMB' || (!has(self.mode) && !has(self.snapshot_sec) && !has(self.intervals))",
        message: 'mode, snapshot_sec and intervals are only allowed on THUMB outputs',
        fieldPath: '.mode',
        reason: 'FieldValueForbidden',
      },
      {
        rule: "self.output_type == 'HLS' || !has(self.resolutions)",
        message: 'resolutions is only allowed on HLS outputs',
        fieldPath: '.resolutions',
        reason: 'FieldValueForbidden',
      },
    ),
  },
);

export const JobDescription = Type.Object(
  {
    input_type: StringEnum([...INPUT_TYPES], { description: 'VIDEO or AUDIO source.' }),
    input_bucket: BucketName({ description: 'Bucket of the source.' }),
    input_file: ObjectKey({ description: 'Key of the source.' }),
    outputs: Type.Array(Output, { minItems: 1, maxItems: 100, description: 'One entry per wanted output.' }),
  },
  { additionalProperties: false },
);

export type Watermark = Static<typeof Watermark>;
export type OutputSpec = Static<typeof Output>;
export type JobDescription = Static<typeof JobDescription>;
export type OutputType = OutputSpec['output_type'];
