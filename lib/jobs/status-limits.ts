// Every size bound of a TranscodeJob's status, in one place. etcd refuses objects over its request
// limit (1.5 MiB by default), so what status holds is bounded: key lists longer than INLINE_KEYS
// are kept as a count, a common prefix and a manifest object in S3 (JSON array of every key), both
// in a task's result and in the output's status. A job whose worst-case status would not fit is
// refused at admission; a write the apiserver still refuses as too large ends the job as failed.
import type { JobDescription } from '../schema/ct-job.js';

/** Most files one runner task may deliver (interval thumbnails); more is refused at planning. */
export const MAX_RESULT_FILES = 20_000;

/** Keys kept verbatim in a task result / output status; longer lists go to a manifest. */
export const INLINE_KEYS = 10;

/** Budget of the whole TranscodeJob object (etcd's default limit is 1.5 MiB; headroom for metadata). */
export const STATUS_BUDGET_BYTES = 1024 * 1024;

/** Rough worst-case JSON bytes of one task in status, beside its keys (payload, placement, swf, timestamps). */
const TASK_OVERHEAD_BYTES = 2500;
/** Keys (or URLs embedding a key) one task carries beside its result keys: placement, payload. */
const TASK_KEY_SLOTS = 4;
const OUTPUT_OVERHEAD_BYTES = 600;
const OUTPUT_KEY_SLOTS = 2;
/** Fixed part of a status: conditions, probe, workflow, published message keys. */
const JOB_OVERHEAD_BYTES = 16 * 1024;

/** A list of result keys as status holds it. */
export interface BoundedKeys {
  /** All keys when there are at most INLINE_KEYS, else the first INLINE_KEYS. */
  keys: string[];
  /** Present when `keys` is not the whole list: how many there are in all. */
  keyCount?: number;
  /** Longest common prefix of all keys (with keyCount). */
  keyPrefix?: string;
  /** S3 key of the manifest (JSON array of every key), beside the keys (with keyCount). */
  manifest?: string;
}

export function commonPrefix(keys: readonly string[]): string {
  if (keys.length === 0) return '';
  let prefix = keys[0]!;
  for (const k of keys) {
    let i = 0;
    while (i < prefix.length && i < k.length && prefix[i] === k[i]) i++;
    prefix = prefix.slice(0, i);
  }
  return prefix;
}

/** Where the manifest of a key list lives: next to the keys, named so it never matches a result name. */
export function manifestKey(keys: readonly string[]): string {
  const prefix = commonPrefix(keys);
  const dir = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  return `${dir}${prefix.slice(dir.length)}.ct-manifest.json`;
}

export function needsManifest(keys: readonly string[]): boolean {
  return keys.length > INLINE_KEYS;
}

/** The bounded form of `keys`; `manifest` is where the caller stored (or will store) the whole list. */
export function boundKeys(keys: readonly string[], manifest = manifestKey(keys)): BoundedKeys {
  if (!needsManifest(keys)) return { keys: [...keys] };
  return { keys: keys.slice(0, INLINE_KEYS), keyCount: keys.length, keyPrefix: commonPrefix(keys), manifest };
}

/** Upper bound of the runner tasks one output makes (HLS: one per rendition, at most the ladder). */
function tasksOf(output: JobDescription['outputs'][number]): number {
  return output.output_type === 'HLS' ? Math.max(output.resolutions?.length ?? 0, 8) : 2;
}

/**
 * Result keys status may list inline for one output: a single object for VIDEO, AUDIO and snapshot
 * THUMB; up to INLINE_KEYS (then a manifest) for interval THUMB, HLS and G2-style `.m3u8` VIDEO.
 */
function resultKeysOf(output: JobDescription['outputs'][number]): number {
  const many =
    output.output_type === 'HLS' ||
    (output.output_type === 'THUMB' && output.mode === 'intervals') ||
    output.output_file.toLowerCase().endsWith('.m3u8');
  return many ? INLINE_KEYS : 1;
}

/** Worst-case bytes of a job's object (spec + status) once every output is done. */
export function worstCaseJobBytes(job: JobDescription): number {
  let bytes = JOB_OVERHEAD_BYTES + 2 * Buffer.byteLength(JSON.stringify(job));
  for (const o of job.outputs) {
    const keyBytes = Buffer.byteLength(o.output_file) + 64;
    const results = resultKeysOf(o);
    bytes += OUTPUT_OVERHEAD_BYTES + (OUTPUT_KEY_SLOTS + results) * keyBytes;
    bytes += tasksOf(o) * (TASK_OVERHEAD_BYTES + (TASK_KEY_SLOTS + results) * keyBytes);
  }
  return bytes;
}

/** Worst-case bytes of the job-end message (JOB_COMPLETED lists every output with its inline keys). */
export function worstCaseEndMessageBytes(job: JobDescription): number {
  let bytes = 4096;
  for (const o of job.outputs) bytes += 400 + (resultKeysOf(o) + 2) * (Buffer.byteLength(o.output_file) + 80);
  return bytes;
}

/** Budget of one client message (SQS allows 256 KiB; headroom for the envelope). */
export const END_MESSAGE_BUDGET_BYTES = 200 * 1024;

/** Why a job description cannot be held (status budget, end message), or undefined when it can. */
export function admissionProblem(job: JobDescription): string | undefined {
  const advice = `split its ${job.outputs.length} outputs over several jobs or use shorter output keys`;
  const bytes = worstCaseJobBytes(job);
  if (bytes > STATUS_BUDGET_BYTES)
    return `the job's state could reach ${Math.ceil(bytes / 1024)} KiB, over the limit of ${STATUS_BUDGET_BYTES / 1024} KiB: ${advice}`;
  const end = worstCaseEndMessageBytes(job);
  if (end > END_MESSAGE_BUDGET_BYTES)
    return `the job's end message could reach ${Math.ceil(end / 1024)} KiB, over the limit of ${END_MESSAGE_BUDGET_BYTES / 1024} KiB: ${advice}`;
  return undefined;
}

/** Frames an interval THUMB output makes on an input of `durationSec` (one at 0 s, then every `intervals` s). */
export function intervalFrames(durationSec: number, intervals: number): number {
  return Math.floor(durationSec / intervals) + 1;
}
