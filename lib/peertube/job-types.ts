// The runner-facing job contract: job types, their public payloads and success files
// (docs/peertube-runner-protocol.md §8–9). Standard types follow PeerTube's payloads exactly; `ct-*`
// types are ours and are only handed to runners that ask for them by name in `jobTypes`.
import { Type, type Static } from '@sinclair/typebox';

export const PEERTUBE_JOB_TYPES = [
  'vod-web-video-transcoding',
  'vod-hls-transcoding',
  'vod-audio-merge-transcoding',
  'video-studio-transcoding',
] as const;

export const CT_JOB_TYPES = [
  'ct-video-transcoding',
  'ct-thumbnails',
  'ct-audio-extraction',
  'ct-video-segment',
  'ct-video-concat',
] as const;

/** The task types of a segment-parallel VIDEO encode (docs/segment-encoding.md). */
export const SEGMENT_JOB_TYPES = ['ct-video-segment', 'ct-video-concat'] as const;

export const ALL_JOB_TYPES = [...PEERTUBE_JOB_TYPES, ...CT_JOB_TYPES] as const;
export type RunnerJobType = (typeof ALL_JOB_TYPES)[number];

export function isStandardJobType(t: string): boolean {
  return (PEERTUBE_JOB_TYPES as readonly string[]).includes(t);
}

const Url = Type.String({ minLength: 1 });

export const WebVideoPayload = Type.Object({
  input: Type.Object({ videoFileUrl: Url, separatedAudioFileUrl: Type.Array(Url) }),
  output: Type.Object({ resolution: Type.Integer({ minimum: 0 }), fps: Type.Number({ minimum: 0 }) }),
});
export type WebVideoPayload = Static<typeof WebVideoPayload>;

export const HlsPayload = Type.Object({
  input: Type.Object({ videoFileUrl: Url, separatedAudioFileUrl: Type.Array(Url) }),
  output: Type.Object({ resolution: Type.Integer({ minimum: 0 }), fps: Type.Number({ minimum: 0 }), separatedAudio: Type.Boolean() }),
});
export type HlsPayload = Static<typeof HlsPayload>;

export const AudioMergePayload = Type.Object({
  input: Type.Object({ audioFileUrl: Url, previewFileUrl: Url }),
  output: Type.Object({ resolution: Type.Integer({ minimum: 0 }), fps: Type.Number({ minimum: 0 }) }),
});
export type AudioMergePayload = Static<typeof AudioMergePayload>;

export const StudioTask = Type.Union([
  Type.Object({
    name: Type.Literal('cut'),
    options: Type.Object({ start: Type.Optional(Type.Number()), end: Type.Optional(Type.Number()) }),
  }),
  Type.Object({ name: Type.Union([Type.Literal('add-intro'), Type.Literal('add-outro')]), options: Type.Object({ file: Url }) }),
  Type.Object({
    name: Type.Literal('add-watermark'),
    // PeerTube's wire name is misspelt (`horitonzalMarginRatio`, packages/models job.model.ts): an
    // official runner reads only that one. Our runner also accepts the correct spelling.
    options: Type.Object({
      file: Url,
      watermarkSizeRatio: Type.Number(),
      horitonzalMarginRatio: Type.Number(),
      verticalMarginRatio: Type.Number(),
    }),
  }),
]);
export type StudioTask = Static<typeof StudioTask>;

export const StudioPayload = Type.Object({
  input: Type.Object({ videoFileUrl: Url, separatedAudioFileUrl: Type.Array(Url) }),
  tasks: Type.Array(StudioTask),
});
export type StudioPayload = Static<typeof StudioPayload>;

/** A fully resolved CT encoding: preset + per-output overrides, checked against the input. */
export const CtEncoding = Type.Object({
  width: Type.Integer({ minimum: 2 }),
  height: Type.Integer({ minimum: 2 }),
  fps: Type.Number({ exclusiveMinimum: 0 }),
  videoCodec: Type.String(),
  audioCodec: Type.String(),
  videoBitrate: Type.String({ description: 'e.g. 2400k' }),
  audioBitrate: Type.String(),
  profile: Type.Optional(Type.String()),
  level: Type.Optional(Type.String()),
  maxReferenceFrames: Type.Optional(Type.Integer()),
  container: Type.String({ description: 'ffmpeg muxer, from the output file extension (mp4, webm, mov, mkv, …).' }),
});
export type CtEncoding = Static<typeof CtEncoding>;

export const CtWatermark = Type.Object({
  fileUrl: Url,
  width: Type.Optional(Type.Integer()),
  height: Type.Optional(Type.Integer()),
  opacity: Type.Number({ minimum: 0, maximum: 1 }),
  x: Type.Integer(),
  y: Type.Integer(),
});

/**
 * What the operator's probe found about the input, so our runner does not probe it again. Optional:
 * a payload without it (older operator) makes the runner probe the input itself.
 */
export const CtInputMedia = Type.Object({
  durationSec: Type.Number({ minimum: 0 }),
  hasVideo: Type.Boolean(),
  hasAudio: Type.Boolean(),
  width: Type.Optional(Type.Integer({ minimum: 1 })),
  height: Type.Optional(Type.Integer({ minimum: 1 })),
  fps: Type.Optional(Type.Number({ minimum: 0 })),
});
export type CtInputMedia = Static<typeof CtInputMedia>;

export const CtVideoPayload = Type.Object({
  input: Type.Object({ videoFileUrl: Url, hasAudio: Type.Boolean(), media: Type.Optional(CtInputMedia) }),
  output: Type.Object({ encoding: CtEncoding, watermark: Type.Optional(CtWatermark), fileName: Type.String() }),
});
export type CtVideoPayload = Static<typeof CtVideoPayload>;

export const CtThumbnailsPayload = Type.Object({
  input: Type.Object({ videoFileUrl: Url, media: Type.Optional(CtInputMedia) }),
  output: Type.Object({
    mode: Type.Union([Type.Literal('snapshot'), Type.Literal('intervals')]),
    width: Type.Integer({ minimum: 1 }),
    height: Type.Integer({ minimum: 1 }),
    snapshotSec: Type.Number({ minimum: 0 }),
    intervals: Type.Integer({ minimum: 1 }),
    /** Snapshot: the file name. Intervals: files are `<stem>NNNNNN.<ext>` (CT naming, from 000001). */
    fileName: Type.String(),
  }),
});
export type CtThumbnailsPayload = Static<typeof CtThumbnailsPayload>;

export const CtAudioPayload = Type.Object({
  input: Type.Object({ videoFileUrl: Url, media: Type.Optional(CtInputMedia) }),
  output: Type.Object({ audioCodec: Type.String(), audioBitrate: Type.String(), container: Type.String(), fileName: Type.String() }),
});
export type CtAudioPayload = Static<typeof CtAudioPayload>;

/**
 * One time range of a segment-parallel VIDEO encode (docs/segment-encoding.md), in frames of the
 * output (its constant frame rate): frames [startFrame, startFrame + frames) of what the whole-file
 * encode would make. The runner decodes from `marginFrames` earlier so the frame-rate conversion
 * sees the same frames before the cut as the whole-file encode does, then drops them.
 */
export const CtSegmentRange = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  count: Type.Integer({ minimum: 2 }),
  startFrame: Type.Integer({ minimum: 0 }),
  /** Absent for the last segment: it runs to the end of the input. */
  frames: Type.Optional(Type.Integer({ minimum: 1 })),
  marginFrames: Type.Integer({ minimum: 0 }),
  /** Fixed GOP length: a key frame every gopFrames frames from the segment's first (segments are whole GOPs). */
  gopFrames: Type.Integer({ minimum: 1 }),
});
export type CtSegmentRange = Static<typeof CtSegmentRange>;

/** ct-video-segment: the video of one time range, no audio, in the container of the intermediate files. */
export const CtVideoSegmentPayload = Type.Object({
  input: Type.Object({ videoFileUrl: Url, media: Type.Optional(CtInputMedia) }),
  output: Type.Object({
    encoding: CtEncoding,
    segment: CtSegmentRange,
    /** Muxer of the intermediate segment file (the concat task reads it back). */
    muxer: Type.Union([Type.Literal('mp4'), Type.Literal('matroska')]),
    fileName: Type.String(),
  }),
});
export type CtVideoSegmentPayload = Static<typeof CtVideoSegmentPayload>;

/**
 * ct-video-concat: the encoded segments joined without re-encoding (concat demuxer, stream copy),
 * with the input's audio encoded once, whole, into the final output file.
 */
export const CtVideoConcatPayload = Type.Object({
  input: Type.Object({
    videoFileUrl: Url,
    hasAudio: Type.Boolean(),
    media: Type.Optional(CtInputMedia),
    segmentFileUrls: Type.Array(Url, { minItems: 1 }),
    /**
     * Frames of every segment but the last: the join places each segment at the exact sum of the
     * previous ones' durations (an mp4's own duration is rounded to its movie timescale, 1/1000 s).
     */
    segmentFrames: Type.Array(Type.Integer({ minimum: 1 })),
  }),
  output: Type.Object({ encoding: CtEncoding, fileName: Type.String() }),
});
export type CtVideoConcatPayload = Static<typeof CtVideoConcatPayload>;

/** Multipart file fields of a success (PeerTube's two for VOD, plus our image list). */
export const SUCCESS_FILE_FIELDS = ['payload[videoFile]', 'payload[resolutionPlaylistFile]', 'payload[imageFiles]'] as const;
export type SuccessFileField = (typeof SUCCESS_FILE_FIELDS)[number];

/**
 * Success multipart file fields per type (docs/peertube-runner-protocol.md §8). Ours: `ct-thumbnails`
 * sends one or more `payload[imageFiles]` parts (file names as CT names them); `ct-video-transcoding`
 * and `ct-audio-extraction` send `payload[videoFile]` like web-video.
 */
export const SUCCESS_FILES: Record<RunnerJobType, { required: SuccessFileField[]; multiple?: SuccessFileField }> = {
  'vod-web-video-transcoding': { required: ['payload[videoFile]'] },
  'vod-hls-transcoding': { required: ['payload[videoFile]', 'payload[resolutionPlaylistFile]'] },
  'vod-audio-merge-transcoding': { required: ['payload[videoFile]'] },
  'video-studio-transcoding': { required: ['payload[videoFile]'] },
  'ct-video-transcoding': { required: ['payload[videoFile]'] },
  'ct-audio-extraction': { required: ['payload[videoFile]'] },
  'ct-thumbnails': { required: [], multiple: 'payload[imageFiles]' },
  'ct-video-segment': { required: ['payload[videoFile]'] },
  'ct-video-concat': { required: ['payload[videoFile]'] },
};
