// Runner availability (docs/official-runners.md), pure: which job types the live runners serve, the
// encoding policy's choice of job type for VIDEO outputs, and the check that no pending task waits
// forever for a type nobody serves. A task unserved for `graceMs` is marked unschedulable (the
// controller turns that into a condition, an Event and a CT message); still unserved at its deadline
// it fails with NO_RUNNER_FOR_TASK_TYPE and its output with it (CT semantics: the job ends once every
// output is final). A runner of that type appearing before the deadline clears the mark and takes
// the task through the normal protocol.
import type { EncodingPolicy } from '../../lib/schema/transcode-client.js';
import type { TranscodeRunner } from '../../lib/schema/transcode-runner.js';
import { TaskState, type TaskStatus, type TranscodeJobStatus } from '../../lib/schema/transcode-job.js';
import type { CtVideoPayload, WebVideoPayload } from '../../lib/peertube/job-types.js';
import { cancelTask, isTerminal } from '../../lib/peertube/task-state.js';
import { resolutionOf } from '../../lib/media/ladder.js';
import { JobCondition, UnschedulableReason } from '../../lib/schema/job-conditions.js';
import { SEGMENT_JOB_TYPES } from '../../lib/peertube/job-types.js';
import type { SegmentPolicy } from './outputs/segments.js';

export const NO_RUNNER_REASON = 'NO_RUNNER_FOR_TASK_TYPE';
export const UNSCHEDULABLE_CONDITION = JobCondition.Unschedulable;
export const NO_RUNNER_CONDITION_REASON = UnschedulableReason.NoRunnerForTaskType;

export interface SchedulingConfig {
  /** Default VIDEO encoding policy (CT_ENCODING_POLICY, default auto); a client's spec.encodingPolicy wins. */
  encodingPolicy: EncodingPolicy;
  /** Default wait for a runner of a task's type (CT_NO_RUNNER_TIMEOUT_SECONDS, default 900 s). */
  noRunnerTimeoutMs: number;
  /** How long a pending task may be unserved before it is reported (CT_NO_RUNNER_GRACE_SECONDS, default 3 s). */
  graceMs: number;
  /** A runner counts as live while its lastContact is younger than this (CT_RUNNER_LIVE_SECONDS, default 300 s). */
  runnerLiveMs: number;
  /** Segment-parallel VIDEO encoding (CT_SEGMENT_*); defaults when absent. */
  segments?: SegmentPolicy;
}

/** Job types served by runners seen within `liveMs` (from what they asked for in jobs/request or, if set, spec.jobTypes). */
export function servedTypes(runners: readonly TranscodeRunner[], nowMs: number, liveMs: number): Set<string> {
  const out = new Set<string>();
  for (const r of runners) {
    const seen = Date.parse(r.status?.lastContact ?? '');
    if (!(nowMs - seen < liveMs)) continue;
    for (const t of r.status?.jobTypes ?? r.spec.jobTypes ?? []) out.add(t);
  }
  return out;
}

/** Whether VIDEO tasks go to a standard PeerTube runner now. */
export function wantsStandardVideo(policy: EncodingPolicy, served: ReadonlySet<string>): boolean {
  if (policy === 'peertube') return true;
  if (policy === 'exact') return false;
  return !served.has('ct-video-transcoding') && served.has('vod-web-video-transcoding');
}

/** Whether VIDEO tasks may be split into segments now: a live runner serves both segment task types. */
export function canSegment(served: ReadonlySet<string>): boolean {
  return SEGMENT_JOB_TYPES.every((t) => served.has(t));
}

/**
 * The vod-web-video-transcoding equivalent of a pending ct-video-transcoding task, or undefined when
 * PeerTube's job type cannot express the output (a watermark, a container other than mp4, a codec
 * other than H.264): those keep needing our runner.
 */
export function standardVideoPayload(task: TaskStatus): WebVideoPayload | undefined {
  if (task.type !== 'ct-video-transcoding') return undefined;
  const p = task.payload as unknown as CtVideoPayload;
  const enc = p.output?.encoding;
  if (!enc || p.output.watermark) return undefined;
  if (enc.container !== 'mp4' || !/^(libx264|h264)$/.test(enc.videoCodec)) return undefined;
  return {
    input: { videoFileUrl: p.input.videoFileUrl, separatedAudioFileUrl: [] },
    output: { resolution: resolutionOf(enc.width, enc.height), fps: enc.fps },
  };
}

/** Re-types pending convertible VIDEO tasks to vod-web-video-transcoding; marks their outputs. Returns the tasks changed. */
export function applyEncodingPolicy(status: Pick<TranscodeJobStatus, 'tasks' | 'outputs'>, standard: boolean, now: string): TaskStatus[] {
  if (!standard) return [];
  const changed: TaskStatus[] = [];
  for (const t of status.tasks ?? []) {
    if (t.state !== TaskState.PENDING) continue;
    const payload = standardVideoPayload(t);
    if (!payload) continue;
    t.type = 'vod-web-video-transcoding';
    t.payload = payload as unknown as Record<string, unknown>;
    t.updatedAt = now;
    delete t.unschedulable;
    const out = status.outputs?.find((o) => o.index === t.outputIndex);
    if (out) out.encoding = 'peertube';
    changed.push(t);
  }
  return changed;
}

export interface SchedulingOutcome {
  /** Tasks reported unschedulable now (first time in this episode). */
  waiting: TaskStatus[];
  /** Tasks failed now: their deadline passed. */
  expired: TaskStatus[];
  /** Tasks that had been unschedulable and are served again. */
  recovered: TaskStatus[];
}

export interface SchedulingInput {
  served: ReadonlySet<string>;
  nowMs: number;
  graceMs: number;
  timeoutMs: number;
}

function waitMessage(t: TaskStatus, deadline: string): string {
  return `no live runner serves job type ${t.type} (${t.name}); the task fails with ${NO_RUNNER_REASON} at ${deadline} unless one appears`;
}

/** Marks, clears and expires unserved pending tasks (see the file comment). */
export function applyRunnerAvailability(status: TranscodeJobStatus, input: SchedulingInput): SchedulingOutcome {
  const { served, nowMs } = input;
  const now = new Date(nowMs).toISOString();
  const outcome: SchedulingOutcome = { waiting: [], expired: [], recovered: [] };
  for (const t of status.tasks ?? []) {
    if (t.state !== TaskState.PENDING) {
      if (t.unschedulable && t.state !== TaskState.ERRORED) delete t.unschedulable;
      continue;
    }
    if (served.has(t.type)) {
      if (t.unschedulable) {
        delete t.unschedulable;
        outcome.recovered.push(t);
      }
      continue;
    }
    if (!t.unschedulable) {
      if (nowMs - Date.parse(t.updatedAt) < input.graceMs) continue;
      const deadline = new Date(nowMs + input.timeoutMs).toISOString();
      t.unschedulable = { since: now, deadline, message: waitMessage(t, deadline) };
      outcome.waiting.push(t);
      continue;
    }
    if (nowMs < Date.parse(t.unschedulable.deadline)) continue;
    const since = Math.round((nowMs - Date.parse(t.unschedulable.since)) / 1000);
    t.state = TaskState.ERRORED;
    t.error = `no live runner served job type ${t.type} within ${since} s (${NO_RUNNER_REASON})`;
    t.updatedAt = now;
    t.finishedAt = now;
    const out = status.outputs?.find((o) => o.index === t.outputIndex);
    if (out && out.status !== 'Succeeded' && out.status !== 'Failed' && out.status !== 'Canceled') {
      out.status = 'Failed';
      out.reason = NO_RUNNER_REASON;
      out.details = `${t.name}: ${t.error}`;
      // The rest of that output is useless without this part (an HLS ladder missing a rendition).
      for (const other of status.tasks ?? [])
        if (other.outputIndex === t.outputIndex && !isTerminal(other.state)) cancelTask(status, other.uuid, now);
    }
    outcome.expired.push(t);
  }
  return outcome;
}

/** The Unschedulable condition the tasks imply, or undefined when none is unschedulable. */
export function unschedulableSummary(status: TranscodeJobStatus): string | undefined {
  const waiting = (status.tasks ?? []).filter((t) => t.state === TaskState.PENDING && t.unschedulable);
  if (waiting.length === 0) return undefined;
  const types = [...new Set(waiting.map((t) => t.type))].sort();
  const first = waiting.map((t) => t.unschedulable!.deadline).sort()[0];
  return `no live runner serves job type(s) ${types.join(', ')} (${waiting.map((t) => t.name).join('; ')}); failing with ${NO_RUNNER_REASON} from ${first}`;
}

/** When the availability check next has something to do (ms epoch), for the requeue delay. */
export function nextAvailabilityCheck(status: TranscodeJobStatus, served: ReadonlySet<string>, graceMs: number): number | undefined {
  let min: number | undefined;
  for (const t of status.tasks ?? []) {
    if (t.state !== TaskState.PENDING || served.has(t.type)) continue;
    const at = t.unschedulable ? Date.parse(t.unschedulable.deadline) + 50 : Date.parse(t.updatedAt) + graceMs + 50;
    if (min === undefined || at < min) min = at;
  }
  return min;
}
