// Pure logic of the TranscodeClient reconciler: resource naming limits, the policy evaluator used to
// report missing grants on adopted queues, and status conditions.
import { queueNames, bucketNames, bucketNameProblem, parseQueueUrl } from '../../../operator/client/names.js';
import {
  policyAllows,
  missingActions,
  inputQueuePolicy,
  outputQueuePolicy,
  inputBucketPolicy,
  outputBucketPolicy,
  accountOf,
} from '../../../operator/client/policies.js';
import { setCondition } from '../../../operator/runtime/conditions.js';
import { stableJson } from '../../../lib/kube/status.js';

test('queue names: prefix + namespace + name, ≤80 chars of the SQS alphabet, hash-shortened and distinct', () => {
  expect(queueNames('ct-', 'default', 'demo')).toEqual({
    input: 'ct-default-demo-input',
    output: 'ct-default-demo-output',
    deadLetter: 'ct-default-demo-dlq',
  });
  expect(queueNames('ct-', 'ns', 'a.b').input).toBe('ct-ns-a_b-input');
  const long1 = queueNames('ct-', 'n'.repeat(63), `${'x'.repeat(70)}1`);
  const long2 = queueNames('ct-', 'n'.repeat(63), `${'x'.repeat(70)}2`);
  for (const n of [...Object.values(long1), ...Object.values(long2)]) {
    expect(n.length).toBeLessThanOrEqual(80);
    expect(n).toMatch(/^[A-Za-z0-9_-]+$/);
  }
  expect(long1.input).not.toBe(long2.input);
  expect(long1.input.endsWith('-input')).toBe(true);
});

test('bucket names: lowercase, ≤63, hash-shortened and distinct, valid S3 names', () => {
  expect(bucketNames('ct-', 'default', 'demo')).toEqual({ input: 'ct-default-demo-input', output: 'ct-default-demo-output' });
  const a = bucketNames('ct-', 'team-a', 'x'.repeat(60));
  const b = bucketNames('ct-', 'team-b', 'x'.repeat(60));
  for (const n of [a.input, a.output, b.input, b.output]) {
    expect(n.length).toBeLessThanOrEqual(63);
    expect(bucketNameProblem(n)).toBeUndefined();
  }
  expect(a.input).not.toBe(b.input);
  expect(bucketNameProblem('Upper_Case')).toContain('lowercase');
  expect(bucketNameProblem('a..b')).toContain('adjacent dots');
  expect(bucketNameProblem('192.168.1.1')).toContain('IP address');
});

test('queue URLs are parsed for account and name; junk is refused', () => {
  expect(parseQueueUrl('https://sqs.eu-west-1.amazonaws.com/123456789012/CT_ClientA_input')).toEqual({
    account: '123456789012',
    name: 'CT_ClientA_input',
  });
  expect(parseQueueUrl('http://127.0.0.1:5000/123456789012/q')).toEqual({ account: '123456789012', name: 'q' });
  expect(parseQueueUrl('https://example.com/not/a/queue/url')).toBeUndefined();
  expect(parseQueueUrl('nonsense')).toBeUndefined();
});

test('policy evaluator: principals (account grants), wildcards, resources, explicit Deny', () => {
  const arn = 'arn:aws:sqs:us-east-1:123456789012:q';
  const policy = inputQueuePolicy(arn, '444455556666', 'arn:aws:iam::111122223333:role/stack');
  // An account-id grant covers any principal of that account.
  expect(policyAllows(policy, 'arn:aws:iam::444455556666:user/bob', 'sqs:SendMessage', arn)).toBe(true);
  expect(policyAllows(policy, 'arn:aws:iam::444455556666:user/bob', 'sqs:ReceiveMessage', arn)).toBe(false);
  // A role grant does not cover other principals of its account.
  expect(policyAllows(policy, 'arn:aws:iam::111122223333:role/stack', 'SQS:receivemessage', arn)).toBe(true);
  expect(policyAllows(policy, 'arn:aws:iam::111122223333:role/other', 'sqs:ReceiveMessage', arn)).toBe(false);
  expect(
    policyAllows(policy, 'arn:aws:iam::111122223333:role/stack', 'sqs:ReceiveMessage', 'arn:aws:sqs:us-east-1:123456789012:other'),
  ).toBe(false);

  const wide = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: 'sqs:*', Resource: 'arn:aws:sqs:*:123456789012:*' },
      { Effect: 'Deny', Principal: { AWS: ['arn:aws:iam::999999999999:root'] }, Action: ['sqs:DeleteMessage'], Resource: '*' },
    ],
  });
  expect(missingActions(wide, 'arn:aws:iam::999999999999:role/x', ['sqs:ReceiveMessage', 'sqs:DeleteMessage'], arn)).toEqual([
    'sqs:DeleteMessage',
  ]);
  expect(missingActions(undefined, '123456789012', ['sqs:SendMessage'], arn)).toEqual(['sqs:SendMessage']);
  expect(policyAllows('{not json', '123456789012', 'sqs:SendMessage', arn)).toBe(false);
  expect(accountOf('arn:aws:sqs:us-east-1:123456789012:q')).toBe('123456789012');
  expect(accountOf('*')).toBeUndefined();
});

test('conditions: lastTransitionTime changes only when the status flips; observedGeneration recorded', () => {
  const t1 = new Date('2026-01-01T00:00:00Z');
  const t2 = new Date('2026-01-01T00:05:00Z');
  let c = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'QueueNotFound', message: 'a' }, 1, t1);
  c = setCondition(c, { type: 'Ready', status: 'False', reason: 'QueuePolicyIncomplete', message: 'b' }, 2, t2);
  expect(c).toEqual([
    {
      type: 'Ready',
      status: 'False',
      reason: 'QueuePolicyIncomplete',
      message: 'b',
      lastTransitionTime: '2026-01-01T00:00:00Z',
      observedGeneration: 2,
    },
  ]);
  c = setCondition(c, { type: 'Ready', status: 'True', reason: 'Ready', message: 'ok' }, 2, t2);
  expect(c[0]!.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
  c = setCondition(c, { type: 'QueuesReady', status: 'True', reason: 'Provisioned', message: '' }, 2, t2);
  expect(c.map((x) => x.type)).toEqual(['Ready', 'QueuesReady']);
});

test('stableJson ignores key order (status writes are skipped when nothing changed)', () => {
  expect(stableJson({ a: 1, b: { c: [1, { e: 1, d: 2 }] } })).toBe(stableJson({ b: { c: [1, { d: 2, e: 1 }] }, a: 1 }));
  expect(stableJson({ a: [1, 2] })).not.toBe(stableJson({ a: [2, 1] }));
});

test('the four resource policies keep their documents (values from before the grants table)', () => {
  const stack = 'arn:aws:iam::111122223333:role/stack';
  const q = 'arn:aws:sqs:us-east-1:111122223333:ct-a-';
  const allow = (Sid: string, Principal: unknown, Action: string[], Resource: string) => ({
    Sid,
    Effect: 'Allow',
    Principal,
    Action,
    Resource,
  });
  expect(inputQueuePolicy(`${q}in`, '444455556666', '*')).toEqual({
    Version: '2012-10-17',
    Id: `${q}in/cloudtranscode`,
    Statement: [
      allow('ClientSendsCommands', { AWS: '444455556666' }, ['sqs:SendMessage'], `${q}in`),
      allow(
        'StackReadsCommands',
        '*',
        ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
        `${q}in`,
      ),
    ],
  });
  expect(outputQueuePolicy(`${q}out`, '444455556666', stack)).toEqual({
    Version: '2012-10-17',
    Id: `${q}out/cloudtranscode`,
    Statement: [
      allow(
        'ClientReadsResults',
        { AWS: '444455556666' },
        ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        `${q}out`,
      ),
      allow('StackSendsResults', { AWS: stack }, ['sqs:SendMessage'], `${q}out`),
    ],
  });
  expect(inputBucketPolicy('in', 'a/', '444455556666', stack)).toEqual({
    Version: '2012-10-17',
    Statement: [
      allow('ClientUploadsSources', { AWS: '444455556666' }, ['s3:PutObject'], 'arn:aws:s3:::in/a/*'),
      allow('StackReadsSources', { AWS: stack }, ['s3:GetObject'], 'arn:aws:s3:::in/a/*'),
    ],
  });
  expect(outputBucketPolicy('out', '', '*', stack)).toEqual({
    Version: '2012-10-17',
    Statement: [
      allow('ClientReadsResults', '*', ['s3:GetObject'], 'arn:aws:s3:::out/*'),
      allow('StackWritesResults', { AWS: stack }, ['s3:PutObject'], 'arn:aws:s3:::out/*'),
    ],
  });
});
