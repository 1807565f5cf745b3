// The AWS emulator through the normal @aws-sdk v3 clients with an endpoint override.
import {
  SQSClient,
  CreateQueueCommand,
  SendMessageCommand,
  ReceiveMessageCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import {
  SWFClient,
  RegisterDomainCommand,
  RegisterWorkflowTypeCommand,
  StartWorkflowExecutionCommand,
  DescribeWorkflowExecutionCommand,
} from '@aws-sdk/client-swf';
import { useTestEnvironment, uniqueName } from '../helpers/env.js';
import { clientConfig, s3Config, awsSettingsFromEnv } from '../../lib/aws/config.js';

useTestEnvironment();
const settings = awsSettingsFromEnv();

test('SQS: create, send, receive, delete', async () => {
  const sqs = new SQSClient(clientConfig(settings));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('q') }));
  expect(QueueUrl).toContain(settings.endpoint!.replace('http://', ''));
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ type: 'START_JOB' }) }));
  const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
  expect(received.Messages).toHaveLength(1);
  expect(JSON.parse(received.Messages![0]!.Body!)).toEqual({ type: 'START_JOB' });
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: received.Messages![0]!.ReceiptHandle! }));
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  expect(attrs.Attributes?.['ApproximateNumberOfMessages']).toBe('0');
  expect(attrs.Attributes?.['ApproximateNumberOfMessagesNotVisible']).toBe('0');
});

test('S3: put, head, get', async () => {
  const s3 = new S3Client(s3Config(settings));
  const Bucket = uniqueName('bucket');
  await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new PutObjectCommand({ Bucket, Key: 'a/b.txt', Body: 'hello media', ContentType: 'text/plain' }));
  const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'a/b.txt' }));
  expect(head.ContentLength).toBe(11);
  const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'a/b.txt' }));
  expect(await got.Body!.transformToString()).toBe('hello media');
  await expect(s3.send(new HeadObjectCommand({ Bucket, Key: 'missing' }))).rejects.toMatchObject({ name: 'NotFound' });
});

test('SWF: register domain and workflow type, start an execution', async () => {
  const swf = new SWFClient(clientConfig(settings));
  const domain = uniqueName('dom');
  await swf.send(new RegisterDomainCommand({ name: domain, workflowExecutionRetentionPeriodInDays: '1' }));
  await swf.send(
    new RegisterWorkflowTypeCommand({
      domain,
      name: 'Transcode',
      version: 'v1',
      defaultTaskList: { name: 'decisions' },
      defaultChildPolicy: 'TERMINATE',
      defaultExecutionStartToCloseTimeout: '3600',
      defaultTaskStartToCloseTimeout: '60',
    }),
  );
  const started = await swf.send(
    new StartWorkflowExecutionCommand({ domain, workflowId: 'wf-1', workflowType: { name: 'Transcode', version: 'v1' }, input: '{}' }),
  );
  expect(started.runId).toBeTruthy();
  const described = await swf.send(
    new DescribeWorkflowExecutionCommand({ domain, execution: { workflowId: 'wf-1', runId: started.runId! } }),
  );
  expect(described.executionInfo?.executionStatus).toBe('OPEN');
});
