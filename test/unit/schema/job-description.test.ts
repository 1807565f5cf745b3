// The SQS-edge validator for the CT job description (ajv over lib/schema/ct-job.ts).
import { JobDescription } from '../../../lib/schema/ct-job.js';
import { validator } from '../../../lib/validate.js';
import { readFileSync } from 'node:fs';

const check = validator(JobDescription, 'START_JOB data');
const example = () => JSON.parse(readFileSync(new URL('../../../examples/start-job.json', import.meta.url), 'utf8'));

test('the example START_JOB data is valid', () => {
  expect(check.errors(example())).toEqual([]);
});

test.each([
  ['missing input_file', (d: any) => delete d.input_file, '/input_file: is required'],
  ['unknown top-level key (G1 additionalProperties: false)', (d: any) => (d.job_label = 'x'), '/job_label: is not allowed here'],
  ['unknown output type', (d: any) => (d.outputs[0].output_type = 'GIF'), '/outputs/0/output_type: must be one of'],
  ['VIDEO without preset', (d: any) => delete d.outputs[0].preset, '/outputs/0/preset: is required'],
  ['THUMB without size', (d: any) => delete d.outputs[1].size, '/outputs/1/size: is required'],
  ['preset on THUMB', (d: any) => (d.outputs[1].preset = '720p-generic'), '/outputs/1: has a field that is not allowed'],
  ['resolutions on VIDEO', (d: any) => (d.outputs[0].resolutions = [720]), '/outputs/0: has a field that is not allowed'],
  ['bad bitrate', (d: any) => (d.outputs[0].video_bitrate = '2M'), '/outputs/0/video_bitrate: must match pattern'],
  ['zero video bitrate', (d: any) => (d.outputs[0].video_bitrate = '0k'), '/outputs/0/video_bitrate: must match pattern'],
  ['zero audio bitrate', (d: any) => (d.outputs[0].audio_bitrate = '0k'), '/outputs/0/audio_bitrate: must match pattern'],
  ['bitrate with a leading zero', (d: any) => (d.outputs[0].video_bitrate = '0800k'), '/outputs/0/video_bitrate: must match pattern'],
  ['a vanishing frame rate', (d: any) => (d.outputs[0].frame_rate = 1e-9), '/outputs/0/frame_rate: must be >= 1'],
  ['a zero frame rate', (d: any) => (d.outputs[0].frame_rate = 0), '/outputs/0/frame_rate: must be >= 1'],
  ['bad bucket', (d: any) => (d.input_bucket = 'a'), '/input_bucket: must NOT have fewer than 3 characters'],
  ['no outputs', (d: any) => (d.outputs = []), '/outputs: must NOT have fewer than 1 items'],
  [
    'watermark opacity above 1',
    (d: any) => (d.outputs[0].watermark = { input_bucket: 'abc', input_file: 'w.png', opacity: 2 }),
    '/outputs/0/watermark/opacity',
  ],
])('%s is rejected naming the field', (_what, mutate, expected) => {
  const data = example();
  mutate(data);
  const errors = check.errors(data);
  expect(errors.join('\n')).toContain(expected);
  expect(() => check.assert(data)).toThrow(/START_JOB data is invalid/);
});

test('ordinary bitrates and fractional frame rates stay valid', () => {
  const data = example();
  Object.assign(data.outputs[0], { video_bitrate: '1k', audio_bitrate: '999999k', frame_rate: 29.97 });
  expect(check.errors(data)).toEqual([]);
  data.outputs[0].frame_rate = 1;
  expect(check.errors(data)).toEqual([]);
});

test('a pattern error says in words what the field expects', () => {
  const data = example();
  data.outputs[0].video_bitrate = '0k';
  expect(check.errors(data)).toContain(
    '/outputs/0/video_bitrate: must match pattern "^[1-9][0-9]{0,5}k$" (a bitrate in kbit/s from 1k to 999999k, e.g. 800k)',
  );
});
