// Our runner's part upload of a result file (an extension for ct-* tasks only; docs/streaming-io.md):
// the file goes to S3 as one multipart upload at the task's placement whose parts the runner sends in
// any order while ffmpeg writes — an MP4 whose header ffmpeg writes last is sent body first, header
// last as part 1 — and the success names the upload instead of carrying the file. Routes, bodies
// and the part rules, once, for the api-server and the runner. Official runners never see this:
// their success stays the standard one-POST multipart.
import { Type, type Static } from '@sinclair/typebox';
import { SUCCESS_FILE_FIELDS } from './job-types.js';

/** Relative to RUNNER_API, like RUNNER_ROUTES. Tokens travel in the body (JSON, or the part's multipart fields). */
export const PART_UPLOAD_ROUTES = {
  create: '/jobs/:jobUUID/ct-uploads',
  part: '/jobs/:jobUUID/ct-uploads/:uploadId/parts/:partNumber',
  abort: '/jobs/:jobUUID/ct-uploads/:uploadId/abort',
} as const;

/** S3: every part but the last is at least 5 MiB; at most 10 000 parts. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PARTS = 10_000;
/** The api-server holds one part in memory to check its hash before it reaches S3. */
export const MAX_PART_BYTES = 64 * 1024 * 1024;
/** The success field naming the uploads (JSON, SuccessUploads). */
export const SUCCESS_UPLOADS_FIELD = 'ctUploads';

/**
 * Size of part `n` ≥ 2 (part 1 is the file's head, sized by the runner): 5 MiB, growing by 5 MiB
 * every 1000 parts so 10 000 parts hold 275 GiB while the part left after ffmpeg ends stays small.
 */
export function bodyPartBytes(n: number): number {
  return MIN_PART_BYTES * (1 + Math.floor((n - 2) / 1000));
}

const Token = Type.String({ minLength: 1, maxLength: 1000 });
const Field = Type.Union(SUCCESS_FILE_FIELDS.map((f) => Type.Literal(f)));
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'lower-case hex SHA-256' });
const UploadId = Type.String({ minLength: 1, maxLength: 1024 });

export const CreateUploadBody = Type.Object({ runnerToken: Token, jobToken: Token, field: Field });
export type CreateUploadBody = Static<typeof CreateUploadBody>;
export const CreateUploadResult = Type.Object({ uploadId: UploadId });
export type CreateUploadResult = Static<typeof CreateUploadResult>;
export const AbortUploadBody = CreateUploadBody;
export type AbortUploadBody = CreateUploadBody;

/** Multipart text fields of a part request (then one file part named `part`). */
export const PartFields = Type.Object({
  runnerToken: Token,
  jobToken: Token,
  field: Field,
  size: Type.Integer({ minimum: 1, maximum: MAX_PART_BYTES }),
  sha256: Sha256,
});
export type PartFields = Static<typeof PartFields>;
export const PART_FILE_FIELD = 'part';
export const PartResult = Type.Object({ etag: Type.String({ minLength: 1, maxLength: 1024 }) });
export type PartResult = Static<typeof PartResult>;

export const UploadedPart = Type.Object({
  partNumber: Type.Integer({ minimum: 1, maximum: MAX_PARTS }),
  size: Type.Integer({ minimum: 1, maximum: MAX_PART_BYTES }),
  sha256: Sha256,
  etag: Type.String({ minLength: 1, maxLength: 1024 }),
});
export type UploadedPart = Static<typeof UploadedPart>;
export const UploadedFile = Type.Object({
  field: Field,
  uploadId: UploadId,
  /** The whole file's size: the parts must add up to it. */
  size: Type.Integer({ minimum: 1 }),
  parts: Type.Array(UploadedPart, { minItems: 1, maxItems: MAX_PARTS }),
});
export type UploadedFile = Static<typeof UploadedFile>;
export const SuccessUploads = Type.Array(UploadedFile, { minItems: 1, maxItems: SUCCESS_FILE_FIELDS.length });
export type SuccessUploads = Static<typeof SuccessUploads>;

/** Why a declared part list cannot be the file (numbers 1..N in order, sizes adding up, S3's minimum), or undefined. */
export function partListProblem(file: UploadedFile): string | undefined {
  let total = 0;
  for (const [i, p] of file.parts.entries()) {
    if (p.partNumber !== i + 1) return `part ${i + 1} is missing (parts must be numbered 1..${file.parts.length} in order)`;
    if (i < file.parts.length - 1 && p.size < MIN_PART_BYTES) return `part ${p.partNumber} has ${p.size} bytes, below the 5 MiB minimum`;
    total += p.size;
  }
  if (total !== file.size) return `the parts hold ${total} bytes but the file has ${file.size}: the upload is truncated or has extra data`;
  return undefined;
}
