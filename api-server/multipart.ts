// Streaming multipart/form-data (busboy) for runner update/success and the video upload: text
// fields are collected, each file part is handed to `onFile` as a stream, one at a time, and the
// request is back-pressured while it is consumed — no file is ever held whole in memory or on
// disk. Broken bodies, client aborts and size limits end every open file stream with an error so
// an upload in progress is aborted instead of completing with truncated data.
import busboy, { type FileInfo } from 'busboy';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { HttpProblem, badRequest } from './problem.js';

export interface MultipartOptions {
  /** Largest accepted file part, bytes. */
  maxFileBytes: number;
  /** Most file parts (default 50). */
  maxFiles?: number;
  /** Consumes (or drains) `stream`; rejecting aborts the whole request with that error. */
  onFile(field: string, stream: Readable, info: FileInfo, fields: Readonly<Record<string, string>>): Promise<void>;
}

export function tooLarge(maxBytes: number): HttpProblem {
  return new HttpProblem(413, `File is larger than the limit of ${maxBytes} bytes`, 'payload-too-large');
}

/** Resolves with the text fields once every part is consumed; rejects with an HttpProblem (or onFile's error). */
export function parseMultipart(req: IncomingMessage, opts: MultipartOptions): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    const maxFiles = opts.maxFiles ?? 50;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { fileSize: opts.maxFileBytes + 1, files: maxFiles, fields: 100, fieldSize: 64 * 1024, parts: maxFiles + 100 },
      });
    } catch (err) {
      reject(badRequest(`Expected a multipart/form-data body: ${(err as Error).message}`));
      return;
    }
    const fields: Record<string, string> = {};
    let chain: Promise<void> = Promise.resolve();
    let failed = false;
    let finished = false;

    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      bb.destroy(err instanceof Error ? err : new Error(String(err)));
      req.resume(); // discard the rest of the body so the error response can be read
      // Settle only once the file part in progress has settled too: the caller's clean-up (e.g.
      // undoing a state change that part started) must see every effect the parts had.
      chain.then(
        () => reject(err),
        () => reject(err),
      );
    };

    bb.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(badRequest(`Field ${name} is too long`));
      fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      // Stream errors reach whoever consumes the stream (onFile) and then `fail`; without a listener
      // an error on a part nobody reads any more (we destroyed busboy) would crash the process.
      stream.on('error', () => undefined);
      if (failed) {
        stream.resume();
        return;
      }
      stream.on('limit', () => stream.destroy(tooLarge(opts.maxFileBytes)));
      chain = chain.then(async () => {
        if (failed) {
          stream.resume();
          return;
        }
        await opts.onFile(name, stream, info, fields);
      });
      chain.catch(fail);
    });
    bb.on('filesLimit', () => fail(badRequest('Too many files')));
    bb.on('fieldsLimit', () => fail(badRequest('Too many fields')));
    bb.on('partsLimit', () => fail(badRequest('Too many parts')));
    bb.on('error', (err: Error) => fail(err instanceof HttpProblem ? err : badRequest(`Malformed multipart body: ${err.message}`)));
    bb.on('close', () => {
      finished = true;
      chain.then(() => {
        if (!failed) resolve(fields);
      }, fail);
    });
    req.on('close', () => {
      // The client went away mid-body: end the open file stream with an error (aborts its upload).
      if (!finished && !req.complete) fail(new HttpProblem(400, 'Request aborted by the client'));
    });
    req.pipe(bb);
  });
}
