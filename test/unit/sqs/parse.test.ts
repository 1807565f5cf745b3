// The SQS edge: every way a body can be wrong gets its own precise reason and field.
import { parseCommand } from '../../../lib/ct/parse.js';
import { MAX_BODY_BYTES } from '../../../lib/ct/messages.js';

const job = {
  input_type: 'VIDEO',
  input_bucket: 'clienta-in',
  input_file: '/uploads/game42.mp4',
  outputs: [
    { output_type: 'VIDEO', output_bucket: 'clienta-out', output_file: '/game42/sd.mp4', preset: '480p-16.9-generic', s3_rrs: true },
    {
      output_type: 'THUMB',
      mode: 'snapshot',
      output_bucket: 'clienta-out',
      output_file: '/game42/poster.jpg',
      size: '320x180',
      snapshot_sec: 10,
    },
  ],
};
const start = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ time: 1400101234.5678, type: 'START_JOB', job_id: '9b2f6c1d0e8a4f3b7c5d2e1f0a9b8c7d', data: job, ...extra });

test('a G1 START_JOB (reference §2.2 example) is accepted as is', () => {
  const r = parseCommand(start());
  expect(r).toEqual({ ok: true, command: JSON.parse(start()) });
});

test('jobId (G2) is an alias of job_id; extra top-level keys such as client are ignored', () => {
  const body = JSON.stringify({ time: 1, type: 'START_JOB', jobId: 'abc.DEF-1_2', data: job, client: { name: 'evil', queues: {} } });
  const r = parseCommand(body);
  expect(r.ok).toBe(true);
  if (r.ok) {
    expect(r.command.job_id).toBe('abc.DEF-1_2');
    expect('jobId' in r.command).toBe(false);
  }
  expect(parseCommand(JSON.stringify({ time: 1, type: 'START_JOB', jobId: 'a', job_id: 'b', data: job }))).toMatchObject({
    ok: false,
    reason: 'FORMAT_INVALID',
  });
});

test('not JSON / not an object → INVALID_JSON', () => {
  expect(parseCommand('{"time": 1, "type": ')).toMatchObject({ ok: false, reason: 'INVALID_JSON' });
  expect(parseCommand('[1,2]')).toMatchObject({ ok: false, reason: 'INVALID_JSON', details: expect.stringContaining('JSON object') });
  expect(parseCommand('null')).toMatchObject({ ok: false, reason: 'INVALID_JSON' });
});

test('a body over 256 KiB → MESSAGE_TOO_LARGE, before parsing', () => {
  const big = start({ pad: 'x'.repeat(MAX_BODY_BYTES) });
  expect(parseCommand(big)).toMatchObject({
    ok: false,
    reason: 'MESSAGE_TOO_LARGE',
    details: expect.stringContaining(`${MAX_BODY_BYTES}`),
  });
});

test('missing job_id names the field', () => {
  const r = parseCommand(JSON.stringify({ time: 1, type: 'START_JOB', data: job }));
  expect(r).toMatchObject({ ok: false, reason: 'FORMAT_INVALID', command: 'START_JOB' });
  if (!r.ok) expect(r.errors).toContain('(root)/job_id: is required');
});

test('job_id charset and length', () => {
  const bad = parseCommand(start({ job_id: 'has space' }));
  expect(bad).toMatchObject({ ok: false, reason: 'FORMAT_INVALID' });
  if (!bad.ok) expect(bad.details).toContain('/job_id');
  expect(parseCommand(start({ job_id: 'a'.repeat(129) }))).toMatchObject({ ok: false, reason: 'FORMAT_INVALID' });
  expect(parseCommand(start({ job_id: 'a'.repeat(128) })).ok).toBe(true);
});

test('missing time / wrong type of time', () => {
  const r = parseCommand(JSON.stringify({ type: 'START_JOB', job_id: 'x', data: job }));
  expect(r).toMatchObject({ ok: false, reason: 'FORMAT_INVALID', jobId: 'x' });
  if (!r.ok) expect(r.errors).toContain('(root)/time: is required');
  expect(parseCommand(start({ time: 'yesterday' }))).toMatchObject({ ok: false, reason: 'FORMAT_INVALID' });
});

test('unknown command → UNKNOWN_COMMAND with the type echoed', () => {
  const r = parseCommand(JSON.stringify({ time: 1, type: 'REBOOT_STACK', job_id: 'x', data: {} }));
  expect(r).toMatchObject({ ok: false, reason: 'UNKNOWN_COMMAND', command: 'REBOOT_STACK', jobId: 'x' });
  if (!r.ok) expect(r.details).toContain('START_JOB');
});

test('bad output type names the offending field', () => {
  const data = { ...job, outputs: [{ ...job.outputs[0], output_type: 'GIF' }] };
  const r = parseCommand(start({ data }));
  expect(r).toMatchObject({ ok: false, reason: 'FORMAT_INVALID' });
  if (!r.ok)
    expect(r.errors).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/data\/outputs\/0\/output_type: must be one of "VIDEO", "THUMB", "AUDIO", "HLS"/)]),
    );
});

test('G1 constraints: VIDEO needs a preset, THUMB refuses a preset, unknown keys refused', () => {
  const noPreset = parseCommand(
    start({ data: { ...job, outputs: [{ output_type: 'VIDEO', output_bucket: 'bbb', output_file: 'a.mp4' }] } }),
  );
  expect(noPreset.ok).toBe(false);
  if (!noPreset.ok) expect(noPreset.errors).toContain('/data/outputs/0/preset: is required');
  const thumbPreset = parseCommand(start({ data: { ...job, outputs: [{ ...job.outputs[1], preset: 'x' }] } }));
  expect(thumbPreset.ok).toBe(false);
  const extra = parseCommand(start({ data: { ...job, job_label: 'x' } }));
  expect(extra.ok).toBe(false);
  if (!extra.ok) expect(extra.errors).toContain('/data/job_label: is not allowed here');
  const badKey = parseCommand(start({ data: { ...job, input_file: 'no-extension' } }));
  expect(badKey.ok).toBe(false);
  if (!badKey.ok) expect(badKey.details).toContain('/data/input_file');
});

test('the other commands: data shapes', () => {
  const cmd = (type: string, extra: Record<string, unknown>) => parseCommand(JSON.stringify({ time: 1, type, ...extra }));
  expect(cmd('CANCEL_JOB', { job_id: 'j' }).ok).toBe(true);
  expect(cmd('CANCEL_JOB', { job_id: 'j', data: {} }).ok).toBe(true);
  expect(cmd('CANCEL_JOB', {})).toMatchObject({ ok: false, reason: 'FORMAT_INVALID' });
  expect(cmd('GET_JOB_STATUS', { job_id: 'j', data: { x: 1 } })).toMatchObject({ ok: false, reason: 'FORMAT_INVALID' });
  expect(cmd('GET_JOB_LIST', {}).ok).toBe(true);
  expect(cmd('GET_JOB_LIST', { data: { phase: ['Running', 'Pending'], limit: 5, next_token: 'abc' } }).ok).toBe(true);
  expect(cmd('GET_JOB_LIST', { data: { phase: 'Done' } })).toMatchObject({ ok: false, reason: 'FORMAT_INVALID' });
  expect(cmd('GET_JOB_LIST', { data: { limit: 0 } })).toMatchObject({ ok: false, reason: 'FORMAT_INVALID' });
  expect(cmd('CANCEL_ACTIVITY', { job_id: 'j', data: { activityId: '0b6e2c1e-9f7a-4c59-8b61-0d3f3b0f3c11' } }).ok).toBe(true);
  const noAct = cmd('CANCEL_ACTIVITY', { job_id: 'j', data: {} });
  expect(noAct.ok).toBe(false);
  if (!noAct.ok) expect(noAct.errors).toContain('/data/activityId: is required');
  expect(cmd('GET_ACTIVITY_STATUS', { job_id: 'j', data: { activityId: 'a b' } })).toMatchObject({ ok: false, reason: 'FORMAT_INVALID' });
  expect(cmd('GET_ACTIVITY_LIST', { job_id: 'j' }).ok).toBe(true);
});
