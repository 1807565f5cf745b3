// A result file sent as parts while ffmpeg writes it (lib/peertube/part-upload.ts, docs/streaming-io.md).
// For an MP4 written with -moov_size ffmpeg fills the reserved header (moov, mdat size) only when it
// ends; every byte after it is written once, front to back. So part 1 is the head — the first
// max(5 MiB, headBytes) bytes — and is sent last; parts 2.. follow the file as it grows and go out
// as soon as each is complete. When ffmpeg has ended, every part sent early is hashed again against
// the finished file and sent again if it changed (a writer that broke the rule costs a re-send,
// never a corrupt result); then the last short part and the head go out in parallel.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../lib/log.js';
import { MIN_PART_BYTES, bodyPartBytes, type UploadedFile, type UploadedPart } from '../lib/peertube/part-upload.js';
import type { SuccessFileField } from '../lib/peertube/job-types.js';

/** The server side of a part upload, as the protocol client offers it. */
export interface PartApi {
  create(field: SuccessFileField): Promise<string>;
  /** Sends one part; resolves with its ETag. */
  part(uploadId: string, field: SuccessFileField, partNumber: number, data: Buffer, sha256: string): Promise<string>;
  abort(uploadId: string, field: SuccessFileField): Promise<void>;
}

export interface HeadLastFile {
  field: SuccessFileField;
  path: string;
  /** Settles when the writer has finished the file (rejects with its failure). */
  ready: Promise<void>;
  /** Bytes at the start the writer may still rewrite when it ends. */
  headBytes: number;
}

/** How often the growing file's size is checked. */
const POLL_MS = 50;
/** Parts in flight while the file grows (the encoder writes far slower than one part uploads). */
const IN_FLIGHT = 2;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function readRange(file: FileHandle, start: number, size: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  for (let off = 0; off < size;) {
    const { bytesRead } = await file.read(buf, off, size - off, start + off);
    if (bytesRead === 0) throw new Error(`the file ended at ${start + off} bytes while reading a part up to ${start + size}`);
    off += bytesRead;
  }
  return buf;
}

/** Sends `f` as a part upload; resolves with what the success names. Aborts the upload on any failure. */
export async function uploadInParts(api: PartApi, f: HeadLastFile, logger?: Logger): Promise<UploadedFile> {
  let done = false;
  let failure: unknown;
  f.ready.then(
    () => (done = true),
    (err: unknown) => {
      failure = err ?? new Error('the result file could not be made');
      done = true;
    },
  );
  const uploadId = await api.create(f.field);
  try {
    return await sendParts(api, uploadId, f, () => ({ done, failure }), logger);
  } catch (err) {
    await api.abort(uploadId, f.field).catch((e: unknown) => logger?.warn({ err: String(e) }, 'could not abort a part upload'));
    // ffmpeg's failure is the cause, not the upload it cut short.
    throw failure ?? err;
  }
}

async function sendParts(
  api: PartApi,
  uploadId: string,
  f: HeadLastFile,
  state: () => { done: boolean; failure: unknown },
  logger?: Logger,
): Promise<UploadedFile> {
  const head = Math.max(MIN_PART_BYTES, f.headBytes);
  const inflight = new Set<Promise<void>>();
  let failed: unknown;

  // What was sent per part number (the latest send wins: a re-sent part replaces the first).
  const sent = new Map<number, { start: number; size: number; sha256: string; early: boolean; etag?: string; settled: Promise<void> }>();
  const send = (n: number, start: number, data: Buffer, early: boolean) => {
    const entry = { start, size: data.length, sha256: sha256(data), early, settled: Promise.resolve() };
    sent.set(n, entry);
    const p = api.part(uploadId, f.field, n, data, entry.sha256).then(
      (etag) => {
        if (sent.get(n) === entry) Object.assign(entry, { etag });
      },
      (err: unknown) => void (failed ??= err),
    );
    entry.settled = p;
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  const throwIfFailed = () => {
    const s = state();
    if (s.failure) throw s.failure;
    if (failed) throw failed;
  };

  let file: FileHandle;
  for (;;) {
    try {
      file = await open(f.path, 'r'); // ffmpeg creates the file once it has opened its input
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT' || state().done) throw state().failure ?? err;
      await sleep(POLL_MS);
    }
  }
  try {
    let next = 2;
    let pos = head;
    for (;;) {
      throwIfFailed();
      const finished = state().done; // read before the size: bytes written before the end are all seen
      const size = (await file.stat()).size;
      while (size >= pos + bodyPartBytes(next)) {
        while (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
        throwIfFailed();
        const len = bodyPartBytes(next);
        send(next++, pos, await readRange(file, pos, len), !finished);
        pos += len;
      }
      if (finished) break;
      await sleep(POLL_MS);
    }
    throwIfFailed();
    const size = (await file.stat()).size;
    if (size === 0) throw new Error('the result file is empty');
    if (size > pos) send(next, pos, await readRange(file, pos, size - pos), false);
    send(1, 0, await readRange(file, 0, Math.min(head, size)), false);
    // Parts sent while ffmpeg wrote must still be what the finished file holds there (checked while the head uploads).
    for (const [n, p] of [...sent.entries()].filter(([, x]) => x.early)) {
      const now = await readRange(file, p.start, p.size);
      if (sha256(now) !== p.sha256) {
        logger?.warn({ part: n }, 'a part changed after it was sent: sending it again');
        await p.settled; // two sends of one part in flight would leave S3 with either
        send(n, p.start, now, false);
      }
    }
    while (inflight.size > 0) await Promise.all(inflight);
    throwIfFailed();
    const total = [...sent.values()].reduce((t, p) => t + p.size, 0);
    if (total !== size) throw new Error(`the parts sent hold ${total} bytes, the file has ${size}`);
  } finally {
    await Promise.allSettled(inflight);
    await file.close();
  }
  const parts: UploadedPart[] = [...sent.entries()]
    .sort(([a], [b]) => a - b)
    .map(([partNumber, p]) => {
      if (p.etag === undefined) throw new Error(`part ${partNumber} has no ETag`);
      return { partNumber, size: p.size, sha256: p.sha256, etag: p.etag };
    });
  return { field: f.field, uploadId, size: parts.reduce((t, p) => t + p.size, 0), parts };
}
