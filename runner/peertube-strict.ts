// Strict PeerTube payload mode (CT_RUNNER_PEERTUBE_STRICT): the runner plays an official PeerTube 6.3
// runner. It asks for no job types (the server then offers only the standard ones) and checks each
// payload against PeerTube's own field names with no extra keys allowed, so anything the server sends
// that an official runner would misread (e.g. `horizontalMarginRatio` for PeerTube's misspelt
// `horitonzalMarginRatio`) fails the job instead of being quietly accepted.
import type { TSchema } from '@sinclair/typebox';
import { AudioMergePayload, HlsPayload, PEERTUBE_JOB_TYPES, StudioPayload, WebVideoPayload } from '../lib/peertube/job-types.js';
import { validator, type Validator } from '../lib/validate.js';

type StandardType = (typeof PEERTUBE_JOB_TYPES)[number];

/** A copy of the schema where every object admits only its declared properties. */
export function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema as Record<string, unknown>)) out[k] = k === 'properties' ? mapValues(v, closed) : closed(v);
  if (out['type'] === 'object' && out['properties'] && out['additionalProperties'] === undefined) out['additionalProperties'] = false;
  return out;
}

function mapValues(v: unknown, f: (x: unknown) => unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, f(x)]));
}

const strict = (s: TSchema, what: string): Validator<unknown> => validator(closed(s) as TSchema, `${what} payload (strict PeerTube)`);

export const STRICT_PAYLOADS: Record<StandardType, Validator<unknown>> = {
  'vod-web-video-transcoding': strict(WebVideoPayload, 'vod-web-video-transcoding'),
  'vod-hls-transcoding': strict(HlsPayload, 'vod-hls-transcoding'),
  'vod-audio-merge-transcoding': strict(AudioMergePayload, 'vod-audio-merge-transcoding'),
  'video-studio-transcoding': strict(StudioPayload, 'video-studio-transcoding'),
};

/** Throws (naming every bad field) unless `payload` is a standard payload exactly as PeerTube 6.3 defines it. */
export function assertStrictPayload(type: string, payload: unknown): void {
  const v = (STRICT_PAYLOADS as Record<string, Validator<unknown> | undefined>)[type];
  if (!v) throw new Error(`job type ${type} is not a standard PeerTube job type (strict PeerTube mode)`);
  v.assert(payload);
}
