// The planner: a probed TranscodeJob → runner tasks (one PeerTube-compatible runner job each) and
// the initial output list, where an output that cannot be made fails alone (CT semantics). Pure: the
// controller supplies uuids and the clock, and writes the result in one status update.
import type { OutputSpec } from '../../lib/schema/ct-job.js';
import type { OutputStatus, ProbeInfo, TaskStatus, TranscodeJob, S3Ref } from '../../lib/schema/transcode-job.js';
import { TaskState } from '../../lib/schema/transcode-job.js';
import type {
  AudioMergePayload,
  CtAudioPayload,
  CtInputMedia,
  CtThumbnailsPayload,
  CtVideoPayload,
  HlsPayload,
  RunnerJobType,
} from '../../lib/schema/runner-jobs.js';
import { resolveVideoEncoding, resolveAudio, resolveSize, type CtReason } from '../../lib/presets/resolve.js';
import { displayFrame } from '../../lib/media/probe.js';
import { MAX_RESULT_FILES, intervalFrames } from '../../lib/jobs/status-limits.js';
import { ladderFor, requestedLadder, resolutionOf, renditionFps } from '../../lib/media/ladder.js';
import { conversionRefusal, effectiveOutput } from '../../lib/ct/conversion.js';

export interface PlanContext {
  job: TranscodeJob;
  probe: ProbeInfo;
  /** Base priority of the client (spec.limits.priority, default 100). */
  clientPriority: number;
  now: string;
  newUuid: () => string;
  /** Outputs already known to fail (pre-checks with I/O, e.g. a missing watermark image). */
  failed?: Map<number, { reason: CtReason; details: string }>;
  /** Still images for audio-only VIDEO outputs (audio merge), by output index. */
  previews?: Map<number, S3Ref>;
}

export interface Plan {
  tasks: TaskStatus[];
  outputs: OutputStatus[];
}

/** CT keys: a leading '/' is dropped and double slashes collapsed (CT's uploader did the latter). */
export function normalizeKey(key: string): string {
  return key.replace(/\/{2,}/g, '/').replace(/^\/+/, '');
}

export function splitKey(key: string): { dir: string; base: string; stem: string; ext: string } {
  const k = normalizeKey(key);
  const slash = k.lastIndexOf('/');
  const dir = slash < 0 ? '' : k.slice(0, slash);
  const base = k.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  return { dir, base, stem: dot < 0 ? base : base.slice(0, dot), ext: dot < 0 ? '' : base.slice(dot + 1) };
}

export function joinKey(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

/** HLS keys beside the master playlist. */
export function hlsKeys(masterKey: string, resolution: number): { video: string; playlist: string } {
  const { dir, stem } = splitKey(masterKey);
  return { video: joinKey(dir, `${stem}-${resolution}-fragmented.mp4`), playlist: joinKey(dir, `${stem}-${resolution}.m3u8`) };
}

export function inputPath(taskUuid: string, videoUuid: string, what: 'max-quality' | 'max-quality/audio' | 'previews/max-quality'): string {
  return `/api/v1/runners/jobs/${taskUuid}/files/videos/${videoUuid}/${what}`;
}

export function taskFilePath(taskUuid: string, videoUuid: string, basename: string): string {
  return `/api/v1/runners/jobs/${taskUuid}/files/videos/${videoUuid}/studio/task-files/${encodeURIComponent(basename)}`;
}

function placementBase(spec: OutputSpec): TaskStatus['placement'] {
  return {
    bucket: spec.output_bucket,
    ...(spec.s3_rrs ? { storageClass: 'REDUCED_REDUNDANCY' } : {}),
    ...(spec.s3_encrypt ? { sse: 'AES256' } : {}),
  };
}

class OutputFailure {
  constructor(
    readonly reason: CtReason,
    readonly details: string,
  ) {}
}

/** Where the still image of an audio merge is stored: beside the output. */
export function previewKey(outputKey: string): string {
  const { dir, stem } = splitKey(outputKey);
  return joinKey(dir, `${stem}-preview.jpg`);
}

/** The probe as our runner needs it (ct-* payloads): it then does not probe the input again. */
export function inputMedia(probe: ProbeInfo): CtInputMedia {
  const v = probe.video;
  return {
    durationSec: probe.duration,
    hasVideo: v !== undefined,
    hasAudio: probe.audio !== undefined,
    ...(v ? { width: v.width, height: v.height } : {}),
    ...(v && v.fps > 0 ? { fps: v.fps } : {}),
  };
}

/**
 * Plans every output of the job. The preview image an audio-only VIDEO output needs (audio merge)
 * comes from `previewRef`; without one such outputs fail.
 */
export function planJob(ctx: PlanContext, previewRef?: S3Ref): Plan {
  const { job, probe, now } = ctx;
  const videoUuid = job.metadata.uid ?? job.metadata.name ?? 'unknown';
  const priority = ctx.clientPriority + (job.spec.priority ?? 0);
  const input: S3Ref = { bucket: job.spec.job.input_bucket, key: normalizeKey(job.spec.job.input_file) };
  const frame = displayFrame(probe);
  const tasks: TaskStatus[] = [];
  const outputs: OutputStatus[] = [];

  const task = (
    index: number,
    name: string,
    type: RunnerJobType,
    uuid: string,
    payload: Record<string, unknown>,
    inputs: TaskStatus['inputs'],
    placement: TaskStatus['placement'],
    dependsOn?: string,
  ): TaskStatus => ({
    uuid,
    type,
    name,
    outputIndex: index,
    state: dependsOn ? TaskState.WAITING_FOR_PARENT_JOB : TaskState.PENDING,
    priority,
    ...(dependsOn ? { dependsOn } : {}),
    payload,
    inputs,
    placement,
    failures: 0,
    createdAt: now,
    updatedAt: now,
    swf: { activityId: uuid },
  });

  job.spec.job.outputs.forEach((asked, index) => {
    const spec = effectiveOutput(asked, frame ? resolutionOf(frame.width, frame.height) : undefined);
    const key = normalizeKey(spec.output_file);
    const label = `output ${index} ${spec.output_type}`;
    try {
      const known = ctx.failed?.get(index);
      if (known) throw new OutputFailure(known.reason, known.details);
      const conversion = conversionRefusal(job.spec.job.input_type, asked);
      if (conversion) throw new OutputFailure(conversion.reason, conversion.details);
      switch (spec.output_type) {
        case 'VIDEO': {
          if (frame) {
            const enc = resolveVideoEncoding(spec, frame);
            if (!enc.ok) throw new OutputFailure(enc.reason, enc.details);
            const uuid = ctx.newUuid();
            const inputs: TaskStatus['inputs'] = { video: input };
            let watermark: CtVideoPayload['output']['watermark'];
            if (spec.watermark) {
              const wm = spec.watermark;
              const wmKey = normalizeKey(wm.input_file);
              const basename = `watermark-${splitKey(wmKey).base}`;
              inputs.taskFiles = { [basename]: { bucket: wm.input_bucket, key: wmKey } };
              const wmSize = wm.size ? resolveSize(wm.size, undefined) : undefined;
              watermark = {
                fileUrl: taskFilePath(uuid, videoUuid, basename),
                ...(wmSize ? { width: wmSize.width, height: wmSize.height } : {}),
                opacity: wm.opacity ?? 1,
                x: wm.x ?? 0,
                y: wm.y ?? 0,
              };
            }
            const payload: CtVideoPayload = {
              input: {
                videoFileUrl: inputPath(uuid, videoUuid, 'max-quality'),
                hasAudio: probe.audio !== undefined,
                media: inputMedia(probe),
              },
              output: { encoding: enc.value, ...(watermark ? { watermark } : {}), fileName: splitKey(key).base },
            };
            tasks.push(
              task(index, label, 'ct-video-transcoding', uuid, payload, inputs, {
                ...placementBase(spec),
                files: { 'payload[videoFile]': key },
              }),
            );
          } else {
            // Audio-only source: PeerTube's audio merge (still image + audio) at the preset's height.
            if (spec.watermark) throw new OutputFailure('WATERMARK_ERROR', 'a watermark needs a video source; the input is audio only');
            const enc = resolveVideoEncoding(spec, undefined);
            if (!enc.ok) throw new OutputFailure(enc.reason, enc.details);
            const preview = ctx.previews?.get(index) ?? previewRef;
            if (!preview)
              throw new OutputFailure('CONVERSION_TYPE_ERROR', 'no preview image is available to make a video from an audio-only input');
            const uuid = ctx.newUuid();
            const payload: AudioMergePayload = {
              input: {
                audioFileUrl: inputPath(uuid, videoUuid, 'max-quality'),
                previewFileUrl: inputPath(uuid, videoUuid, 'previews/max-quality'),
              },
              output: { resolution: resolutionOf(enc.value.width, enc.value.height), fps: Math.min(25, enc.value.fps) },
            };
            tasks.push(
              task(
                index,
                label,
                'vod-audio-merge-transcoding',
                uuid,
                payload,
                { video: input, audio: input, preview },
                {
                  ...placementBase(spec),
                  files: { 'payload[videoFile]': key },
                },
              ),
            );
          }
          break;
        }
        case 'THUMB': {
          if (!frame) throw new OutputFailure('CONVERSION_TYPE_ERROR', 'thumbnails need a video source; the input is audio only');
          const size = resolveSize(spec.size ?? '', frame);
          if (!size) throw new OutputFailure('TRANSCODE_FAIL', `invalid thumbnail size ${JSON.stringify(spec.size)}`);
          const mode = spec.mode ?? 'snapshot';
          const snapshotSec = spec.snapshot_sec ?? 0;
          if (mode === 'snapshot' && snapshotSec >= probe.duration) {
            throw new OutputFailure(
              'TRANSCODE_FAIL',
              `snapshot_sec ${snapshotSec} is beyond the input duration (${probe.duration.toFixed(2)} s)`,
            );
          }
          const frames = mode === 'intervals' ? intervalFrames(probe.duration, spec.intervals ?? 10) : 1;
          if (frames > MAX_RESULT_FILES) {
            throw new OutputFailure(
              'TRANSCODE_FAIL',
              `intervals of ${spec.intervals ?? 10} s make ${frames} thumbnails of this ${probe.duration.toFixed(0)} s input; ` +
                `at most ${MAX_RESULT_FILES} per output: use a longer interval`,
            );
          }
          const uuid = ctx.newUuid();
          const { dir, base } = splitKey(key);
          const payload: CtThumbnailsPayload = {
            input: { videoFileUrl: inputPath(uuid, videoUuid, 'max-quality'), media: inputMedia(probe) },
            output: { mode, width: size.width, height: size.height, snapshotSec, intervals: spec.intervals ?? 10, fileName: base },
          };
          tasks.push(
            task(index, label, 'ct-thumbnails', uuid, payload, { video: input }, { ...placementBase(spec), prefix: dir ? `${dir}/` : '' }),
          );
          break;
        }
        case 'AUDIO': {
          if (!probe.audio) throw new OutputFailure('GET_AUDIO_INFO_FAILED', 'the input has no audio stream');
          const audio = resolveAudio(spec);
          if (!audio.ok) throw new OutputFailure(audio.reason, audio.details);
          const uuid = ctx.newUuid();
          const payload: CtAudioPayload = {
            input: { videoFileUrl: inputPath(uuid, videoUuid, 'max-quality'), media: inputMedia(probe) },
            output: { ...audio.value, fileName: splitKey(key).base },
          };
          tasks.push(
            task(
              index,
              label,
              'ct-audio-extraction',
              uuid,
              payload,
              { video: input },
              { ...placementBase(spec), files: { 'payload[videoFile]': key } },
            ),
          );
          break;
        }
        case 'HLS': {
          if (!frame) throw new OutputFailure('CONVERSION_TYPE_ERROR', 'HLS from an audio-only input is not supported');
          const inputRes = resolutionOf(frame.width, frame.height);
          let resolutions: number[];
          if (spec.resolutions) {
            const { kept, dropped } = requestedLadder(spec.resolutions, inputRes, spec.no_enlarge === false);
            if (kept.length === 0) {
              throw new OutputFailure(
                'ENLARGEMENT_ERROR',
                `every requested resolution (${dropped.join(', ')}) is above the input resolution ${inputRes}p`,
              );
            }
            resolutions = kept;
          } else {
            resolutions = ladderFor(inputRes);
          }
          for (const res of resolutions) {
            const uuid = ctx.newUuid();
            const keys = hlsKeys(key, res);
            const payload: HlsPayload = {
              input: { videoFileUrl: inputPath(uuid, videoUuid, 'max-quality'), separatedAudioFileUrl: [] },
              output: { resolution: res, fps: renditionFps(res, probe.video?.fps, spec.frame_rate), separatedAudio: false },
            };
            tasks.push(
              task(
                index,
                `${label} ${res}p`,
                'vod-hls-transcoding',
                uuid,
                payload,
                { video: input },
                {
                  ...placementBase(spec),
                  files: { 'payload[videoFile]': keys.video, 'payload[resolutionPlaylistFile]': keys.playlist },
                  rewritePlaylist: true,
                },
              ),
            );
          }
          break;
        }
      }
      outputs.push({ index, type: spec.output_type, status: 'Pending', bucket: spec.output_bucket });
    } catch (err) {
      if (!(err instanceof OutputFailure)) throw err;
      outputs.push({
        index,
        type: spec.output_type,
        status: 'Failed',
        bucket: spec.output_bucket,
        reason: err.reason,
        details: err.details,
      });
    }
  });
  return { tasks, outputs };
}
