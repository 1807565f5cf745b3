// The success multipart body as a stream, for results still being written: a `growing` file is sent
// as ffmpeg appends to it (HLS single-file fMP4 is written strictly front to back), so its upload to
// S3 through the api-server runs while ffmpeg encodes; other files are sent once `ready` settles.
// What was sent is checked against the finished file (size and hash): a writer that went back and
// rewrote bytes fails the upload instead of storing a corrupt result.
import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { contentTypeOf } from '../lib/media/content-type.js';
import type { SuccessFileField } from '../lib/peertube/job-types.js';

/** A file a task uploads with its success (or update) call. */
export interface UploadFile {
  field: SuccessFileField;
  path: string;
  /** Name sent in the part's filename; default: the file's base name. */
  filename?: string;
  contentType?: string;
  /** The file is still being made: it is sent once this resolves; rejecting fails the upload with its reason. */
  ready?: Promise<void>;
  /** With `ready`: the file is written front to back and is sent while it grows (runner/upload.ts). */
  growing?: boolean;
  /**
   * With `ready`: the file is written front to back except its first `headBytes`, rewritten when it
   * ends (MP4 with -moov_size). Sent as a part upload while it grows, head last (runner/part-upload.ts).
   */
  headBytes?: number;
}

/** How often a growing file is checked for new bytes. */
const POLL_MS = 25;
const CHUNK = 1024 * 1024;

export class StreamedUploadMismatch extends Error {
  override name = 'StreamedUploadMismatch';
}

function quote(v: string): string {
  return v.replace(/["\r\n]/g, (c) => encodeURIComponent(c));
}

/** Yields the file's bytes as they are written, until `ready` settles and the end is reached. */
async function* tail(path: string, ready: Promise<void>, growing: boolean): AsyncGenerator<Buffer> {
  let done = false;
  let failure: unknown;
  ready.then(
    () => (done = true),
    (err: unknown) => {
      failure = err ?? new Error('the result file could not be made');
      done = true;
    },
  );
  if (!growing) await ready;
  // ffmpeg creates the file once it has opened its input: wait for it.
  let file;
  for (;;) {
    try {
      file = await open(path, 'r');
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT' || done) throw failure ?? err;
      await sleep(POLL_MS);
    }
  }
  const hash = createHash('sha256');
  let pos = 0;
  try {
    for (;;) {
      if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
      const finished = done; // read before the attempt: bytes written before `done` are then all seen
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await file.read(buf, 0, CHUNK, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        const chunk = buf.subarray(0, bytesRead);
        hash.update(chunk);
        yield chunk;
        continue;
      }
      if (finished) break;
      await sleep(POLL_MS);
    }
    if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
    if (growing) {
      // The writer may have gone back over what was already sent: compare with the finished file.
      const check = createHash('sha256');
      let size = 0;
      for await (const c of file.createReadStream({ start: 0, autoClose: false })) {
        size += (c as Buffer).length;
        check.update(c as Buffer);
      }
      if (size !== pos || check.digest('hex') !== hash.digest('hex')) {
        throw new StreamedUploadMismatch(`${basename(path)} changed after it was sent (sent ${pos} bytes, file has ${size})`);
      }
    }
  } finally {
    await file.close();
  }
}

/** A multipart/form-data body with `fields` first (the server authenticates on them), then the files in order. */
export function streamingForm(
  fields: Record<string, string>,
  files: (UploadFile & { ready: Promise<void>; growing: boolean })[],
): { contentType: string; body: AsyncGenerator<Buffer>; failure: () => unknown } {
  let failure: unknown;
  const boundary = `----ct-runner-${randomBytes(12).toString('hex')}`;
  async function* body(): AsyncGenerator<Buffer> {
    for (const [k, v] of Object.entries(fields)) {
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(k)}"\r\n\r\n${v}\r\n`);
    }
    for (const f of files) {
      const name = f.filename ?? basename(f.path);
      const type = f.contentType ?? contentTypeOf(name) ?? 'application/octet-stream';
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${quote(f.field)}"; filename="${quote(name)}"\r\nContent-Type: ${type}\r\n\r\n`,
      );
      try {
        yield* tail(f.path, f.ready, f.growing);
      } catch (err) {
        failure = err; // the HTTP client reports a broken body without its cause
        throw err;
      }
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: body(), failure: () => failure };
}
