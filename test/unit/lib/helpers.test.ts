// Helpers that used to be copied per folder, now once in lib/: S3 not-found (lib/aws/errors.ts),
// terminal phases (lib/jobs/phases.ts), DNS names (lib/names.ts), ffprobe reading (lib/media/ffprobe.ts).
import type { FfprobeData } from 'fluent-ffmpeg';
import { isS3NotFound } from '../../../lib/aws/errors.js';
import { isTerminalPhase } from '../../../lib/jobs/phases.js';
import { dnsSlug, shortHash } from '../../../lib/names.js';
import { ffNumber, frameRate, mainStreams } from '../../../lib/media/ffprobe.js';
import { jobName } from '../../../lib/ct/naming.js';
import { objectNameFor } from '../../../lib/ct/config-convert.js';
import { runnerObjectName } from '../../../api-server/runners/registration.js';

test('isS3NotFound: NoSuchKey, NotFound, NoSuchBucket, any 404; not other errors', () => {
  for (const name of ['NoSuchKey', 'NotFound', 'NoSuchBucket']) expect(isS3NotFound({ name })).toBe(true);
  expect(isS3NotFound({ name: 'Weird', $metadata: { httpStatusCode: 404 } })).toBe(true);
  expect(isS3NotFound({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })).toBe(false);
  expect(isS3NotFound(undefined)).toBe(false);
});

test('isTerminalPhase', () => {
  for (const p of ['Succeeded', 'Failed', 'Canceled']) expect(isTerminalPhase(p)).toBe(true);
  for (const p of ['Pending', 'Probing', 'Running', undefined]) expect(isTerminalPhase(p)).toBe(false);
});

test('dnsSlug and shortHash; object names keep their pre-refactor values', () => {
  expect(dnsSlug('--My_Job..ID--')).toBe('my-job-id');
  expect(dnsSlug('a--b')).toBe('a--b');
  expect(dnsSlug('a--b', { collapse: true })).toBe('a-b');
  expect(shortHash('x', 6)).toBe('2d7116');
  // Names of existing objects must not change (values computed with the code before the move).
  expect(jobName('acme', 'Job_1')).toBe('acme-job-1-bbfcbd64e8');
  expect(objectNameFor('My Client')).toBe('my-client-5a2dcc');
  expect(objectNameFor('plain')).toBe('plain');
  expect(runnerObjectName('Runner #1')).toBe('runner-runner-1-16ac5ba61a');
});

test('ffprobe reading: cover art is not video; N/A is no number; frame rates', () => {
  const data = {
    streams: [
      { codec_type: 'video', disposition: { attached_pic: 1 } },
      { codec_type: 'audio', index: 1 },
      { codec_type: 'video', index: 2 },
    ],
    format: {},
  } as unknown as FfprobeData;
  const { video, audio } = mainStreams(data);
  expect(video?.index).toBe(2);
  expect(audio?.index).toBe(1);
  expect(ffNumber('N/A')).toBeUndefined();
  expect(ffNumber('')).toBeUndefined();
  expect(ffNumber('2.5')).toBe(2.5);
  expect(frameRate('30000/1001')).toBeCloseTo(29.97, 2);
  expect(frameRate('25')).toBe(25);
  expect(frameRate('0/0')).toBeUndefined();
  expect(frameRate(undefined)).toBeUndefined();
});
