// The AWS limits module: checks per command, truncation, bounded JSON, and the compact SWF payloads
// of a ~218 KB job description.
import { AwsLimitError, boundedJson, truncate, violations, SWF_LIMITS } from '../../../lib/aws/limits.js';
import { workflowInput, activityInput, workflowResult } from '../../../operator/swf/payloads.js';
import type { TranscodeJob } from '../../../lib/schema/transcode-job.js';
import { jobFixture } from '../../helpers/fixtures.js';

/** 100 outputs with ~1 KiB keys and watermarks: a job description of about 218 KB. */
function bigJob(): TranscodeJob {
  const dir = 'd'.repeat(1000);
  const outputs = Array.from({ length: 100 }, (_, i) => ({
    output_type: 'VIDEO' as const,
    output_bucket: 'out-bucket',
    output_file: `${dir}/${i}.mp4`,
    preset: '720p-generic',
    watermark: { input_bucket: 'in-bucket', input_file: `${dir}/wm${i}.png` },
  }));
  return jobFixture({ outputs, name: 'big', jobId: 'big-1', inputBucket: 'in-bucket', inputFile: 'in/clip.mp4', metadata: { uid: 'u-1' } });
}

test('a 218 KB job description gives a StartWorkflowExecution input within 32,768 characters', () => {
  const job = bigJob();
  expect(JSON.stringify(job.spec.job).length).toBeGreaterThan(200_000);
  const input = workflowInput(job);
  expect(input.length).toBeLessThanOrEqual(SWF_LIMITS.input);
  const parsed = JSON.parse(input);
  expect(parsed).toMatchObject({ type: 'START_JOB', job_id: 'big-1', job: { namespace: 'ns', name: 'big', uid: 'u-1' } });
  expect(parsed.data).toMatchObject({ input_file: 'in/clip.mp4', outputs: 100 });
  expect(parsed.data_ref).toBe('spec.job of TranscodeJob ns/big');
  expect(violations('StartWorkflowExecutionCommand', { input })).toEqual([]);
});

test('a small job keeps its whole description in the workflow input', () => {
  const job = bigJob();
  job.spec.job.outputs = job.spec.job.outputs.slice(0, 2);
  expect(JSON.parse(workflowInput(job)).data).toEqual(job.spec.job);
});

test('activity input and workflow result stay valid JSON within the limits', () => {
  const job = bigJob();
  const task = { uuid: 't', name: 'n', type: 'ct-video-transcoding', outputIndex: 3 } as never;
  expect(JSON.parse(activityInput(job, task)).output.output_file).toContain('/3.mp4');
  const outputs = job.spec.job.outputs.map((o, index) => ({
    index,
    type: 'VIDEO',
    status: 'Succeeded' as const,
    keys: Array.from({ length: 20 }, (_, k) => `${o.output_file}.${k}`),
  }));
  const result = workflowResult(job, { outputs });
  expect(result.length).toBeLessThanOrEqual(SWF_LIMITS.result);
  expect(JSON.parse(result).outputs[0]).toEqual({ index: 0, type: 'VIDEO', status: 'Succeeded', keys: 20 });
});

test('over-limit requests are named as AWS would refuse them', () => {
  expect(violations('StartWorkflowExecutionCommand', { input: 'x'.repeat(32_769) })).toEqual(['input is 32769 characters (limit 32768)']);
  expect(violations('RespondActivityTaskFailedCommand', { reason: 'r'.repeat(257) })[0]).toContain('reason');
  expect(violations('RecordActivityTaskHeartbeatCommand', { details: 'd'.repeat(2049) })[0]).toContain('details');
  expect(violations('SendMessageCommand', { MessageBody: 'é'.repeat(131_073) })[0]).toContain('262146 bytes');
  expect(violations('SendMessageBatchCommand', { Entries: Array.from({ length: 11 }, () => ({ MessageBody: 'x' })) })[0]).toContain(
    '11 entries',
  );
  expect(
    violations('SendMessageBatchCommand', { Entries: Array.from({ length: 3 }, () => ({ MessageBody: 'x'.repeat(100_000) })) }),
  ).toEqual(['batch is 300000 bytes (limit 262144)']);
  expect(violations('PutObjectCommand', { Key: 'ü'.repeat(513) })).toEqual(['Key is 1026 bytes of UTF-8 (limit 1024)']);
  expect(violations('PutObjectCommand', { Key: 'k'.repeat(1024) })).toEqual([]);
  expect(
    violations('RespondDecisionTaskCompletedCommand', {
      decisions: [{ scheduleActivityTaskDecisionAttributes: { input: 'x'.repeat(40_000) } }],
    }),
  ).toEqual(['decisions[0].input is 40000 characters (limit 32768)']);
  expect(violations('ListQueuesCommand', {})).toEqual([]);
});

test('truncate marks the cut and never splits a surrogate pair; boundedJson refuses what cannot fit', () => {
  expect(truncate('short', 256)).toBe('short');
  const cut = truncate('a'.repeat(300), 256);
  expect(cut.length).toBeLessThanOrEqual(256);
  expect(cut.endsWith('…[truncated]')).toBe(true);
  const emoji = truncate('😀'.repeat(200), 100);
  expect(emoji.length).toBeLessThanOrEqual(100);
  expect(emoji).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  expect(() => boundedJson('thing', 'x'.repeat(50), 10)).toThrow(AwsLimitError);
  expect(boundedJson('thing', 'x'.repeat(50), 10, () => 1)).toBe('1');
});
