// Inputs ffmpeg reads while they download. The body is written to a file in the job dir and ffmpeg
// reads that file with the file protocol's `follow` option (at the end of what is written it waits
// instead of stopping). That is only correct for a layout the demuxer reads forwards and whose end
// it knows without reading to the end of the file: MP4/MOV with the moov box before the media data
// and not fragmented. Anything else (moov at the end, fragmented MP4, other containers) is
// downloaded completely first, as before.
import { open, type FileHandle } from 'node:fs/promises';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CtInputMedia } from '../lib/peertube/job-types.js';
import { probeMedia, type MediaInfo } from './probe.js';

export interface OpenedInput {
  /** What ffmpeg opens (a `file:` URL). */
  url: string;
  path: string;
  /** ffmpeg input options for this input (follow + rw_timeout while it is streaming). */
  options: string[];
  /** True when ffmpeg may start before the download ends. */
  streaming: boolean;
  /** Settles when the download ends (rejects with its error). */
  complete: Promise<void>;
}

/** How long ffmpeg waits for more input bytes before failing (µs): a stalled download. */
const FOLLOW_TIMEOUT_US = 10 * 60 * 1_000_000;
/** The moov box must be within this many bytes from the start (2 h of video is well below). */
const HEAD_LIMIT = 32 * 1024 * 1024;
const FIRST_BOXES = new Set(['ftyp', 'moov', 'free', 'skip', 'wide']);

export type Layout = { kind: 'more' } | { kind: 'stream'; readyAt: number } | { kind: 'download'; why: string };

function hasChild(buf: Buffer, start: number, end: number, type: string): boolean {
  for (let off = start; off + 8 <= end;) {
    const size = buf.readUInt32BE(off);
    if (buf.toString('latin1', off + 4, off + 8) === type) return true;
    if (size < 8) return false;
    off += size;
  }
  return false;
}

/**
 * Decides from the first bytes of an input whether ffmpeg can read it while it downloads; `more`
 * means the head seen so far (`complete` = it is the whole file) does not tell yet.
 */
export function inputLayout(head: Buffer, complete: boolean): Layout {
  const more: Layout = complete ? { kind: 'download', why: 'no moov box' } : { kind: 'more' };
  for (let off = 0; ;) {
    if (off + 8 > head.length) return more;
    let size = head.readUInt32BE(off);
    const type = head.toString('latin1', off + 4, off + 8);
    let header = 8;
    if (off === 0 && !FIRST_BOXES.has(type)) return { kind: 'download', why: 'not an MP4/MOV file' };
    if (!/^[\x20-\x7e]{4}$/.test(type)) return { kind: 'download', why: 'unreadable box' };
    if (size === 1) {
      if (off + 16 > head.length) return more;
      size = Number(head.readBigUInt64BE(off + 8));
      header = 16;
    }
    if (type === 'mdat' || size === 0) return { kind: 'download', why: 'media data before the moov box' };
    if (size < header) return { kind: 'download', why: 'unreadable box' };
    if (type === 'moov') {
      const end = off + size;
      if (end > head.length) return more;
      // A fragmented file's samples are in moof boxes up to the end of the file, which a follow read never reaches.
      if (hasChild(head, off + header, end, 'mvex')) return { kind: 'download', why: 'fragmented MP4' };
      return { kind: 'stream', readyAt: end };
    }
    off += size;
  }
}

/** Writes the download to disk, keeps its head and tells who waits how much is on disk. */
class InputFile extends Writable {
  written = 0;
  readonly head: Buffer[] = [];
  headBytes = 0;
  keepHead = true;
  constructor(
    private readonly file: FileHandle,
    private readonly onWritten: () => void,
  ) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    void (async () => {
      for (let off = 0; off < chunk.length;) off += (await this.file.write(chunk, off, chunk.length - off)).bytesWritten;
      this.written += chunk.length;
      if (this.keepHead && this.headBytes < HEAD_LIMIT) {
        this.head.push(chunk);
        this.headBytes += chunk.length;
      }
      this.onWritten();
    })().then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.file.close().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.file.close().then(
      () => cb(err),
      () => cb(err),
    );
  }
}

/**
 * Starts downloading `body` into `dest` and resolves as soon as ffmpeg can start: when the moov box
 * is on disk for a streamable MP4, else when the whole file is. `onFail` is called if the download
 * fails later, while ffmpeg may already be reading.
 */
export async function openInput(
  body: Readable,
  dest: string,
  signal: AbortSignal,
  onFail: (err: Error) => void,
): Promise<OpenedInput & { why?: string }> {
  const file = await open(dest, 'w');
  let layout: Layout = { kind: 'more' };
  let ready: (streaming: boolean) => void = () => undefined;
  const decided = new Promise<boolean>((resolve) => (ready = resolve));
  // The head is parsed again each time it has doubled: linear work for a moov box of any size.
  let parseAt = 64 * 1024;
  const writer = new InputFile(file, () => {
    if (layout.kind === 'more' && writer.headBytes >= Math.min(parseAt, HEAD_LIMIT)) {
      parseAt = writer.headBytes * 2;
      layout = inputLayout(Buffer.concat(writer.head), false);
      if (layout.kind === 'more' && writer.headBytes >= HEAD_LIMIT) layout = { kind: 'download', why: 'no moov box near the start' };
      if (layout.kind !== 'more') {
        writer.keepHead = false;
        writer.head.length = 0;
      }
    }
    if (layout.kind === 'stream' && writer.written >= layout.readyAt) ready(true);
  });
  const complete = pipeline(body, writer, { signal }).then(() => {
    if (layout.kind === 'more') layout = inputLayout(Buffer.concat(writer.head), true);
    writer.head.length = 0;
  });
  let streaming: boolean;
  try {
    streaming = await Promise.race([decided, complete.then(() => false)]);
  } catch (err) {
    await complete.catch(() => undefined);
    throw err;
  }
  const url = `file:${dest}`;
  const decision = layout as Layout; // assigned by the writer's callback
  if (!streaming)
    return { url, path: dest, options: [], streaming: false, complete, ...(decision.kind === 'download' ? { why: decision.why } : {}) };
  complete.catch((err: unknown) => onFail(err instanceof Error ? err : new Error(String(err))));
  return { url, path: dest, options: ['-follow', '1', '-rw_timeout', String(FOLLOW_TIMEOUT_US)], streaming: true, complete };
}

/** What the processors need to know about the input: the operator's probe when the payload has it, else ffprobe once downloaded. */
export async function inputInfo(input: OpenedInput, media: CtInputMedia | undefined): Promise<MediaInfo> {
  if (media) {
    return {
      durationSec: media.durationSec > 0 ? media.durationSec : undefined,
      hasVideo: media.hasVideo,
      hasAudio: media.hasAudio,
      ...(media.width ? { width: media.width } : {}),
      ...(media.height ? { height: media.height } : {}),
      ...(media.fps ? { fps: media.fps } : {}),
    };
  }
  await input.complete;
  return probeMedia(input.path);
}
