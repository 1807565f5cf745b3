// TranscodeJob: one job. The spec embeds the CT job description exactly as the client sent it.
import { Type, type Static } from '@sinclair/typebox';
import { Conditions, CustomResource, StringEnum, JobId, type ValueOf } from './common.js';
import { JobDescription } from './ct-job.js';

export const JOB_PHASES = ['Pending', 'Probing', 'Running', 'Succeeded', 'Failed', 'Canceled'] as const;
export type JobPhase = (typeof JOB_PHASES)[number];

/** PeerTube RunnerJobState wire values (docs/peertube-runner-protocol.md §5). */
export const TaskState = {
  PENDING: 1,
  PROCESSING: 2,
  COMPLETED: 3,
  ERRORED: 4,
  WAITING_FOR_PARENT_JOB: 5,
  CANCELLED: 6,
  PARENT_ERRORED: 7,
  PARENT_CANCELLED: 8,
  COMPLETING: 9,
} as const;
export type TaskStateId = ValueOf<typeof TaskState>;

const FreeObject = (description: string) =>
  Type.Record(Type.String(), Type.Unknown(), { description, 'x-kubernetes-preserve-unknown-fields': true });

/** Long key lists (lib/jobs/status-limits.ts): how many, their common prefix, the manifest with all of them. */
const BoundedKeyFields = {
  keyCount: Type.Optional(Type.Integer({ minimum: 0, description: 'Number of keys in all (set when keys lists only the first ones).' })),
  keyPrefix: Type.Optional(Type.String({ description: 'Common prefix of all keys.' })),
  manifest: Type.Optional(Type.String({ description: 'Key (same bucket) of a JSON array of every key.' })),
};

export const S3Ref = Type.Object({ bucket: Type.String(), key: Type.String() });

export const TaskStatus = Type.Object({
  uuid: Type.String({ format: 'uuid' }),
  type: Type.String({ description: 'Runner job type.' }),
  name: Type.String({ description: 'What the task makes, e.g. "output 0 VIDEO" or "output 2 HLS 720p".' }),
  outputIndex: Type.Integer({ minimum: 0, description: 'Index in spec.job.outputs this task produces (part of).' }),
  state: Type.Integer({ minimum: 1, maximum: 9, description: 'PeerTube RunnerJobState id.' }),
  priority: Type.Integer(),
  dependsOn: Type.Optional(Type.String({ description: 'uuid of the parent task.' })),
  dependsOnAll: Type.Optional(
    Type.Array(Type.String(), {
      maxItems: 256,
      description: 'uuids of every task this one waits for (all must complete first), e.g. the concat task of a segmented encode.',
    }),
  ),
  payload: FreeObject(
    'Public runner payload. Input URLs are stored as paths (/api/v1/runners/jobs/<uuid>/files/videos/<videoUUID>/...); the api-server makes them absolute with its public base URL when serving.',
  ),
  inputs: Type.Object(
    {
      video: Type.Optional(S3Ref),
      audio: Type.Optional(S3Ref),
      preview: Type.Optional(S3Ref),
      taskFiles: Type.Optional(Type.Record(Type.String(), S3Ref, { description: 'Studio task files / watermark by basename.' })),
    },
    { description: 'Where the file download routes of this task read from (server-only).' },
  ),
  placement: Type.Object(
    {
      bucket: Type.String(),
      files: Type.Optional(
        Type.Record(Type.String(), Type.String(), { description: 'Success multipart field (e.g. payload[videoFile]) -> destination key.' }),
      ),
      prefix: Type.Optional(
        Type.String({ description: 'Destination key prefix for multi-file results (payload[imageFiles]); files keep their names.' }),
      ),
      storageClass: Type.Optional(Type.String()),
      sse: Type.Optional(Type.String()),
      rewrites: Type.Optional(
        Type.Record(Type.String(), Type.String(), {
          description:
            'Playlist field -> media field: the uploaded playlist is rewritten to reference the stored name of that media file (set by the output handler, e.g. HLS).',
        }),
      ),
      intermediate: Type.Optional(
        Type.Boolean({
          description:
            'The stored file is an intermediate result (a segment of a segmented encode): not an output key; the output handler deletes it once the output is made.',
        }),
      ),
      rewritePlaylist: Type.Optional(
        Type.Boolean({
          description: 'Deprecated (tasks planned before rewrites existed): HLS playlist rewrite of payload[resolutionPlaylistFile].',
        }),
      ),
    },
    { description: 'Where the api-server streams the success files (server-only).' },
  ),
  jobTokenHash: Type.Optional(Type.String()),
  runner: Type.Optional(Type.Object({ id: Type.Optional(Type.String()), name: Type.String() })),
  progress: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  failures: Type.Integer({ minimum: 0 }),
  timeouts: Type.Optional(Type.Integer({ minimum: 0, description: 'Times the stall watchdog took the task back from a silent runner.' })),
  error: Type.Optional(Type.String()),
  unschedulable: Type.Optional(
    Type.Object(
      {
        since: Type.String({ description: 'When the operator first saw no live runner serving this type.' }),
        deadline: Type.String({ description: 'When the task fails with NO_RUNNER_FOR_TASK_TYPE if still unserved.' }),
        message: Type.String(),
      },
      { description: 'Set while the task is pending and no live runner serves its type (docs/official-runners.md).' },
    ),
  ),
  createdAt: Type.String(),
  startedAt: Type.Optional(Type.String()),
  updatedAt: Type.String(),
  finishedAt: Type.Optional(Type.String()),
  result: Type.Optional(
    Type.Object({
      bucket: Type.String(),
      keys: Type.Array(Type.String(), { description: 'Every stored key, or the first ones when keyCount is set.' }),
      ...BoundedKeyFields,
      size: Type.Optional(Type.Integer({ minimum: 0 })),
    }),
  ),
  swf: Type.Optional(
    Type.Object({
      activityId: Type.String(),
      scheduled: Type.Optional(Type.Boolean()),
      taskToken: Type.Optional(Type.String()),
      closed: Type.Optional(Type.Boolean()),
      attempt: Type.Optional(Type.Integer({ minimum: 0 })),
      round: Type.Optional(
        Type.Integer({ minimum: 0, description: 'failures + timeouts of the task when the current activity attempt was scheduled.' }),
      ),
    }),
  ),
});

export const OutputStatus = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  type: Type.String(),
  status: StringEnum(['Pending', 'Running', 'Succeeded', 'Failed', 'Canceled']),
  bucket: Type.Optional(Type.String()),
  keys: Type.Optional(Type.Array(Type.String(), { description: 'Every stored key, or the first ones when keyCount is set.' })),
  ...BoundedKeyFields,
  size: Type.Optional(Type.Integer({ minimum: 0 })),
  duration: Type.Optional(Type.Number()),
  width: Type.Optional(Type.Integer()),
  height: Type.Optional(Type.Integer()),
  reason: Type.Optional(Type.String()),
  details: Type.Optional(Type.String()),
  encoding: Type.Optional(
    StringEnum(['exact', 'peertube'], {
      description:
        'VIDEO: exact = ct-video-transcoding (preset bitrates/profile honoured); peertube = vod-web-video-transcoding by a standard PeerTube runner (size/fps of the preset, bitrates not guaranteed).',
    }),
  ),
});

export const ProbeInfo = Type.Object({
  duration: Type.Number(),
  formatName: Type.Optional(Type.String()),
  size: Type.Optional(Type.Integer()),
  bitrate: Type.Optional(Type.Integer()),
  video: Type.Optional(
    Type.Object({
      codec: Type.String(),
      width: Type.Integer(),
      height: Type.Integer(),
      fps: Type.Number(),
      pixFmt: Type.Optional(Type.String()),
      bitrate: Type.Optional(Type.Integer()),
      rotation: Type.Optional(Type.Integer()),
    }),
  ),
  audio: Type.Optional(
    Type.Object({
      codec: Type.String(),
      sampleRate: Type.Optional(Type.Integer()),
      channels: Type.Optional(Type.Integer()),
      bitrate: Type.Optional(Type.Integer()),
    }),
  ),
});

export const TranscodeJobSpec = Type.Object({
  clientRef: Type.Object({ name: Type.String({ minLength: 1, maxLength: 253 }) }, { description: 'The TranscodeClient (same namespace).' }),
  jobId: JobId({ description: "The client's job_id." }),
  job: JobDescription,
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000, description: 'Lower runs first; default: the client priority.' })),
  cancel: Type.Optional(Type.Boolean({ description: 'Set to true to cancel the job.' })),
  cancelTasks: Type.Optional(Type.Array(Type.String(), { maxItems: 1000, description: 'Task uuids (activity ids) to cancel.' })),
  source: Type.Optional(StringEnum(['sqs', 'api', 'kubectl'], { description: 'Who created the job.' })),
});

/** When each hop of the dispatch happened (ISO times, ms): set once each, so the breakdown of START_JOB → accepted comes from the product. */
export const JobTiming = Type.Object(
  {
    received: Type.Optional(Type.String({ description: 'The SQS listener (or the video API) built the job from the command.' })),
    admitted: Type.Optional(Type.String({ description: 'The operator admitted the job and started it.' })),
    workflowStarted: Type.Optional(Type.String({ description: 'The SWF execution was started (in parallel with the probe).' })),
    probed: Type.Optional(Type.String({ description: 'The input probe returned.' })),
    planned: Type.Optional(Type.String({ description: 'The tasks were planned and written (visible to runners).' })),
    firstAccepted: Type.Optional(Type.String({ description: 'A runner accepted the first task.' })),
  },
  { description: 'Dispatch hop timestamps (docs/dispatch.md).' },
);

export const TranscodeJobStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  phase: Type.Optional(StringEnum([...JOB_PHASES])),
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  progress: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  conditions: Conditions(),
  probe: Type.Optional(ProbeInfo),
  workflow: Type.Optional(
    Type.Object({ workflowId: Type.String(), runId: Type.Optional(Type.String()), closed: Type.Optional(Type.Boolean()) }),
  ),
  tasks: Type.Optional(Type.Array(TaskStatus)),
  outputs: Type.Optional(Type.Array(OutputStatus)),
  published: Type.Optional(Type.Array(Type.String(), { description: 'Keys of the client messages already sent (dedup across restarts).' })),
  startedAt: Type.Optional(Type.String()),
  completedAt: Type.Optional(Type.String()),
  timing: Type.Optional(JobTiming),
});

export const TranscodeJob = CustomResource(TranscodeJobSpec, TranscodeJobStatus);

export type TaskStatus = Static<typeof TaskStatus>;
export type S3Ref = Static<typeof S3Ref>;
export type OutputStatus = Static<typeof OutputStatus>;
export type ProbeInfo = Static<typeof ProbeInfo>;
export type TranscodeJobSpec = Static<typeof TranscodeJobSpec>;
export type TranscodeJobStatus = Static<typeof TranscodeJobStatus>;
export type JobTiming = Static<typeof JobTiming>;
export type TranscodeJob = Static<typeof TranscodeJob>;
