// Builders of TranscodeJob / task objects for unit tests: one place for the boilerplate every pure
// module's test needs, so a test states only what matters to it (its outputs, states, clock).
import type { OutputSpec } from '../../lib/schema/ct-job.js';
import type { TaskStatus, TranscodeJob } from '../../lib/schema/transcode-job.js';

export const FIXTURE_NOW = '2026-01-01T00:00:00Z';

/** A pending ct-video-transcoding task of output 0; `fields` override any field. */
export function taskFixture(fields: Partial<TaskStatus> & Pick<TaskStatus, 'uuid'>): TaskStatus {
  return {
    type: 'ct-video-transcoding',
    name: fields.uuid,
    outputIndex: 0,
    state: 1,
    priority: 100,
    payload: {},
    inputs: {},
    placement: { bucket: 'out' },
    failures: 0,
    createdAt: FIXTURE_NOW,
    updatedAt: FIXTURE_NOW,
    ...fields,
  };
}

/** The runner fields a task past PENDING carries (so fixtures of taken tasks look like real ones). */
export function takenBy(runnerId: string, runnerName: string, startedAt = FIXTURE_NOW): Partial<TaskStatus> {
  return { runner: { id: runnerId, name: runnerName }, startedAt };
}

export interface JobFixture {
  outputs: OutputSpec[];
  name?: string;
  jobId?: string;
  client?: string;
  inputType?: 'VIDEO' | 'AUDIO';
  inputBucket?: string;
  inputFile?: string;
  metadata?: Partial<TranscodeJob['metadata']>;
  spec?: Partial<Omit<TranscodeJob['spec'], 'job'>>;
  status?: TranscodeJob['status'];
}

/** A TranscodeJob in namespace `ns` with the given CT outputs (and optional status). */
export function jobFixture(f: JobFixture): TranscodeJob {
  return {
    apiVersion: 'cloudtranscode.io/v1alpha1',
    kind: 'TranscodeJob',
    metadata: { name: f.name ?? 'j', namespace: 'ns', uid: 'uid-1', ...f.metadata },
    spec: {
      clientRef: { name: f.client ?? 'c' },
      jobId: f.jobId ?? 'job-1',
      job: {
        input_type: f.inputType ?? 'VIDEO',
        input_bucket: f.inputBucket ?? 'inb',
        input_file: f.inputFile ?? 'a.mp4',
        outputs: f.outputs,
      },
      ...f.spec,
    },
    ...(f.status ? { status: f.status } : {}),
  };
}

/** Outputs with defaults for the fields a test does not care about (bucket, key, type VIDEO). */
export function outputsFixture(outputs: Partial<OutputSpec>[], defaults: Partial<OutputSpec> = {}): OutputSpec[] {
  return outputs.map((o) => ({ output_type: 'VIDEO', output_bucket: 'out', output_file: '/o/v.mp4', ...defaults, ...o }) as OutputSpec);
}

/** The two-output job (VIDEO sd.mp4 + HLS ladder) the progress/console views are tested with. */
export const VIDEO_AND_HLS: OutputSpec[] = [
  { output_type: 'VIDEO', output_bucket: 'out', output_file: 'a/sd.mp4', preset: '480p-16.9-generic' },
  { output_type: 'HLS', output_bucket: 'out', output_file: 'a/hls/master.m3u8', resolutions: [720, 480] },
] as OutputSpec[];
