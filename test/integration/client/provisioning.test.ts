// TranscodeClient provisioning against the real apiserver + moto, with the operator as a real process:
// managed queues/DLQ/buckets with exact policies, adoption of existing queues, principal changes,
// invalid specs, and deletion by policy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueUrlCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { envInfo, kubeConfigForTests, uniqueName } from '../../helpers/env.js';
import { REPO_ROOT } from '../../env/paths.js';
import { waitFor } from '../../env/process.js';
import {
  STACK,
  startOperator,
  clientsApi,
  condition,
  waitForCondition,
  eventsFor,
  awsClients,
  queueNamesWithPrefix,
  queueAttrs,
  bucketPolicy,
  bucketNames,
  type Operator,
} from './operator.js';

const info = envInfo();
const kc = kubeConfigForTests();
const clients = clientsApi(kc);
const { sqs, s3 } = awsClients(info);
const ns = 'default';
const CLIENT_PRINCIPAL = 'arn:aws:iam::444455556666:root';
let op: Operator;

function example(): Record<string, any> {
  return parse(readFileSync(join(REPO_ROOT, 'examples', 'transcodeclient.yaml'), 'utf8'));
}

function client(name: string, mutate: (c: Record<string, any>) => void = () => undefined): Record<string, any> {
  const c = example();
  c.metadata = { name };
  c.spec.principal = CLIENT_PRINCIPAL;
  mutate(c);
  return c;
}

beforeAll(async () => {
  op = await startOperator(info, uniqueName('prov'), { CT_NAMESPACE: ns, CT_LEASE_NAME: uniqueName('lease-prov') });
});

afterAll(async () => {
  await op?.proc.stop();
});

async function expectedInputPolicy(arn: string, principal: string) {
  return {
    Version: '2012-10-17',
    Id: `${arn}/cloudtranscode`,
    Statement: [
      { Sid: 'ClientSendsCommands', Effect: 'Allow', Principal: { AWS: principal }, Action: ['sqs:SendMessage'], Resource: arn },
      {
        Sid: 'StackReadsCommands',
        Effect: 'Allow',
        Principal: { AWS: STACK },
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
        Resource: arn,
      },
    ],
  };
}

async function expectedOutputPolicy(arn: string, principal: string) {
  return {
    Version: '2012-10-17',
    Id: `${arn}/cloudtranscode`,
    Statement: [
      {
        Sid: 'ClientReadsResults',
        Effect: 'Allow',
        Principal: { AWS: principal },
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: arn,
      },
      { Sid: 'StackSendsResults', Effect: 'Allow', Principal: { AWS: STACK }, Action: ['sqs:SendMessage'], Resource: arn },
    ],
  };
}

test('the example client gets queues, a DLQ, buckets and exact policies, and becomes Ready', async () => {
  const body = example(); // metadata.name: demo, principal 123456789012, in namespace default
  await clients.create(ns, body);
  const obj = await waitForCondition(kc, ns, 'demo', 'Ready', 'True');
  expect(condition(obj, 'QueuesReady')).toMatchObject({ status: 'True', reason: 'Provisioned' });
  expect(condition(obj, 'BucketsReady')).toMatchObject({ status: 'True', reason: 'Available' });
  expect(obj.metadata.finalizers).toContain('cloudtranscode.io/client-cleanup');

  const q = obj.status.queues;
  expect(q.inputUrl).toMatch(/\/ct-default-demo-input$/);
  expect(q.outputUrl).toMatch(/\/ct-default-demo-output$/);
  expect(q.deadLetterUrl).toMatch(/\/ct-default-demo-dlq$/);
  expect(q.inputArn).toBe('arn:aws:sqs:us-east-1:123456789012:ct-default-demo-input');
  expect(q.outputArn).toBe('arn:aws:sqs:us-east-1:123456789012:ct-default-demo-output');
  expect(q.deadLetterArn).toBe('arn:aws:sqs:us-east-1:123456789012:ct-default-demo-dlq');
  expect(obj.status.buckets).toEqual({ input: 'ct-default-demo-input', output: 'ct-default-demo-output' });
  expect(obj.status.jobs).toEqual({ active: 0, succeeded: 0, failed: 0, canceled: 0 });

  expect(await queueNamesWithPrefix(sqs, 'ct-default-demo-')).toEqual([
    'ct-default-demo-dlq',
    'ct-default-demo-input',
    'ct-default-demo-output',
  ]);
  const input = await queueAttrs(sqs, q.inputUrl);
  expect(JSON.parse(input['Policy']!)).toEqual(await expectedInputPolicy(q.inputArn, '123456789012'));
  const redrive = JSON.parse(input['RedrivePolicy']!);
  expect(redrive.deadLetterTargetArn).toBe(q.deadLetterArn);
  expect(String(redrive.maxReceiveCount)).toBe('5');
  const output = await queueAttrs(sqs, q.outputUrl);
  expect(JSON.parse(output['Policy']!)).toEqual(await expectedOutputPolicy(q.outputArn, '123456789012'));
  expect(output['RedrivePolicy']).toBeUndefined();

  expect(await bucketPolicy(s3, 'ct-default-demo-input')).toEqual({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ClientUploadsSources',
        Effect: 'Allow',
        Principal: { AWS: '123456789012' },
        Action: ['s3:PutObject'],
        Resource: 'arn:aws:s3:::ct-default-demo-input/*',
      },
      {
        Sid: 'StackReadsSources',
        Effect: 'Allow',
        Principal: { AWS: STACK },
        Action: ['s3:GetObject'],
        Resource: 'arn:aws:s3:::ct-default-demo-input/*',
      },
    ],
  });
  expect(await bucketPolicy(s3, 'ct-default-demo-output')).toEqual({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ClientReadsResults',
        Effect: 'Allow',
        Principal: { AWS: '123456789012' },
        Action: ['s3:GetObject'],
        Resource: 'arn:aws:s3:::ct-default-demo-output/*',
      },
      {
        Sid: 'StackWritesResults',
        Effect: 'Allow',
        Principal: { AWS: STACK },
        Action: ['s3:PutObject'],
        Resource: 'arn:aws:s3:::ct-default-demo-output/*',
      },
    ],
  });
  const events = await eventsFor(kc, ns, 'demo');
  expect(events.some((e) => e.reason === 'Ready' && e.type === 'Normal')).toBe(true);
});

test('changing the principal rewrites every policy; maxReceiveCount changes the redrive policy', async () => {
  const name = uniqueName('princ');
  await clients.create(ns, client(name));
  let obj = await waitForCondition(kc, ns, name, 'Ready', 'True');
  const newPrincipal = 'arn:aws:iam::777788889999:role/new-client';
  obj.spec.principal = newPrincipal;
  obj.spec.queues.maxReceiveCount = 9;
  await clients.replace(ns, name, obj);
  obj = await waitForCondition(kc, ns, name, 'Ready', 'True');
  const q = obj.status.queues;
  await waitFor('input policy with the new principal', async () => {
    const attrs = await queueAttrs(sqs, q.inputUrl);
    return attrs['Policy']?.includes(newPrincipal) ? attrs : undefined;
  });
  const input = await queueAttrs(sqs, q.inputUrl);
  expect(JSON.parse(input['Policy']!)).toEqual(await expectedInputPolicy(q.inputArn, newPrincipal));
  expect(String(JSON.parse(input['RedrivePolicy']!).maxReceiveCount)).toBe('9');
  expect(JSON.parse((await queueAttrs(sqs, q.outputUrl))['Policy']!)).toEqual(await expectedOutputPolicy(q.outputArn, newPrincipal));
  const ip = (await bucketPolicy(s3, obj.status.buckets.input)) as any;
  const op2 = (await bucketPolicy(s3, obj.status.buckets.output)) as any;
  expect(ip.Statement[0].Principal).toEqual({ AWS: newPrincipal });
  expect(op2.Statement[0].Principal).toEqual({ AWS: newPrincipal });
  expect(JSON.stringify([ip, op2])).not.toContain(CLIENT_PRINCIPAL);
});

test('adopting existing queues: verified, Ready, and never deleted with the client', async () => {
  const base = uniqueName('adopt');
  const inUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${base}-in` }))).QueueUrl!;
  const outUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${base}-out` }))).QueueUrl!;
  const arn = (n: string) => `arn:aws:sqs:us-east-1:123456789012:${n}`;
  // The owner's policies: the client principal and the (cross-account) stack get what CT needs.
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: inUrl,
      Attributes: { Policy: JSON.stringify(await expectedInputPolicy(arn(`${base}-in`), CLIENT_PRINCIPAL)) },
    }),
  );
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: outUrl,
      Attributes: { Policy: JSON.stringify(await expectedOutputPolicy(arn(`${base}-out`), CLIENT_PRINCIPAL)) },
    }),
  );
  const name = uniqueName('adopted');
  await clients.create(
    ns,
    client(name, (c) => (c.spec.queues = { managed: false, inputUrl: inUrl, outputUrl: outUrl })),
  );
  const obj = await waitForCondition(kc, ns, name, 'Ready', 'True');
  expect(condition(obj, 'QueuesReady')).toMatchObject({ status: 'True', reason: 'Verified' });
  expect(obj.status.queues).toEqual({ inputUrl: inUrl, inputArn: arn(`${base}-in`), outputUrl: outUrl, outputArn: arn(`${base}-out`) });
  // No queue was created for an adopting client.
  expect(await queueNamesWithPrefix(sqs, `ct-${ns}-${name}`)).toEqual([]);

  await clients.delete(ns, name);
  await waitFor('adopting client deleted', async () => ((await clients.tryGet(ns, name)) ? undefined : true));
  expect((await sqs.send(new GetQueueUrlCommand({ QueueName: `${base}-in` }))).QueueUrl).toBe(inUrl);
  expect((await sqs.send(new GetQueueUrlCommand({ QueueName: `${base}-out` }))).QueueUrl).toBe(outUrl);
});

test('adopting a missing queue gives Ready=False with a clear reason, and recovers once it exists', async () => {
  const base = uniqueName('late');
  const outUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${base}-out` }))).QueueUrl!;
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: outUrl,
      Attributes: {
        Policy: JSON.stringify(await expectedOutputPolicy(`arn:aws:sqs:us-east-1:123456789012:${base}-out`, CLIENT_PRINCIPAL)),
      },
    }),
  );
  const inUrl = outUrl.replace(/-out$/, '-in');
  const name = uniqueName('missing');
  await clients.create(
    ns,
    client(name, (c) => (c.spec.queues = { managed: false, inputUrl: inUrl, outputUrl: outUrl })),
  );
  const obj = await waitForCondition(kc, ns, name, 'Ready', 'False', 'QueueNotFound');
  expect(condition(obj, 'Ready')!.message).toBe(`input queue ${inUrl} does not exist`);
  expect(condition(obj, 'QueuesReady')).toMatchObject({ status: 'False', reason: 'QueueNotFound' });
  expect((await eventsFor(kc, ns, name)).some((e) => e.reason === 'QueueNotFound' && e.type === 'Warning')).toBe(true);

  // Created without a policy: now the message names the missing grants precisely.
  await sqs.send(new CreateQueueCommand({ QueueName: `${base}-in` }));
  const noPolicy = await waitForCondition(kc, ns, name, 'Ready', 'False', 'QueuePolicyIncomplete');
  expect(condition(noPolicy, 'Ready')!.message).toBe(
    `input queue policy does not allow the stack (${STACK}) to ReceiveMessage, DeleteMessage (the queue has no policy); ` +
      `input queue policy does not allow the client (${CLIENT_PRINCIPAL}) to SendMessage (the queue has no policy)`,
  );

  // Only the client grant: the stack's grant is still reported missing.
  const arn = `arn:aws:sqs:us-east-1:123456789012:${base}-in`;
  const onlyClient = await expectedInputPolicy(arn, CLIENT_PRINCIPAL);
  onlyClient.Statement = onlyClient.Statement.slice(0, 1);
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: inUrl, Attributes: { Policy: JSON.stringify(onlyClient) } }));
  const partial = await waitFor('stack grant reported missing', async () => {
    const o = await clients.get(ns, name);
    return condition(o, 'Ready')?.message === `input queue policy does not allow the stack (${STACK}) to ReceiveMessage, DeleteMessage`
      ? o
      : undefined;
  });
  expect(condition(partial, 'Ready')!.status).toBe('False');

  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: inUrl,
      Attributes: { Policy: JSON.stringify(await expectedInputPolicy(arn, CLIENT_PRINCIPAL)) },
    }),
  );
  const ready = await waitForCondition(kc, ns, name, 'Ready', 'True');
  expect(ready.status.queues.inputUrl).toBe(inUrl);
});

test('existing buckets are probed; a missing one is reported, and a bad managed bucket name is reported in conditions', async () => {
  const existing = uniqueName('own-bucket');
  await s3.send(new CreateBucketCommand({ Bucket: existing }));
  const missing = uniqueName('no-such-bucket');
  const name = uniqueName('buckets');
  await clients.create(
    ns,
    client(
      name,
      (c) => (c.spec.buckets = { input: { managed: false, name: existing, prefix: 'in/' }, output: { managed: false, name: missing } }),
    ),
  );
  const obj = await waitForCondition(kc, ns, name, 'Ready', 'False', 'BucketNotFound');
  expect(condition(obj, 'BucketsReady')).toMatchObject({
    status: 'False',
    reason: 'BucketNotFound',
    message: `output bucket "${missing}" does not exist`,
  });
  expect(condition(obj, 'QueuesReady')!.status).toBe('True');

  await s3.send(new CreateBucketCommand({ Bucket: missing }));
  const ready = await waitForCondition(kc, ns, name, 'Ready', 'True');
  expect(ready.status.buckets).toEqual({ input: existing, output: missing });

  // Passes the CRD pattern (uppercase and _ are allowed for existing CT buckets) but S3 cannot create it.
  const bad = uniqueName('badbucket');
  await clients.create(
    ns,
    client(bad, (c) => (c.spec.buckets = { input: { managed: true, name: 'Upper_Case_Bucket' } })),
  );
  const invalid = await waitForCondition(kc, ns, bad, 'Ready', 'False', 'InvalidBucketName');
  expect(condition(invalid, 'BucketsReady')!.message).toContain(
    'spec.buckets.input: bucket name "Upper_Case_Bucket" may only contain lowercase letters',
  );
  // The operator keeps working after both.
  expect((await fetch(`http://127.0.0.1:${op.port}/healthz`)).ok).toBe(true);
});

test('an invalid principal is rejected by the CRD before the operator sees it', async () => {
  let message = '';
  try {
    await clients.create(
      ns,
      client(uniqueName('badprinc'), (c) => (c.spec.principal = 'arn:aws:iam::12:user/x')),
    );
  } catch (err) {
    message = JSON.stringify((err as { body?: unknown }).body ?? String(err));
  }
  expect(message).toContain('spec.principal');
});

test('deleting honours the deletion policy: queues deleted, a non-empty bucket retained, an empty one deleted', async () => {
  const name = uniqueName('del');
  await clients.create(ns, client(name));
  const obj = await waitForCondition(kc, ns, name, 'Ready', 'True');
  const { input, output } = obj.status.buckets;
  await s3.send(new PutObjectCommand({ Bucket: input, Key: 'source.mp4', Body: 'data' }));
  await clients.delete(ns, name);
  await waitFor('client gone', async () => ((await clients.tryGet(ns, name)) ? undefined : true));
  expect(await queueNamesWithPrefix(sqs, `ct-${ns}-${name}-`)).toEqual([]);
  const buckets = await bucketNames(s3);
  expect(buckets).toContain(input);
  expect(buckets).not.toContain(output);
  const cleaned = (await eventsFor(kc, ns, name)).find((e) => e.reason === 'CleanedUp');
  expect(cleaned?.message).toContain(`bucket ${output}`);
  expect(cleaned?.message).toContain(`input bucket ${input} (not empty; deletionPolicy.buckets: RetainIfNotEmpty)`);
});

test('deletionPolicy Retain keeps queues and buckets', async () => {
  const name = uniqueName('retain');
  await clients.create(
    ns,
    client(name, (c) => (c.spec.deletionPolicy = { queues: 'Retain', buckets: 'Retain' })),
  );
  const obj = await waitForCondition(kc, ns, name, 'Ready', 'True');
  await clients.delete(ns, name);
  await waitFor('client gone', async () => ((await clients.tryGet(ns, name)) ? undefined : true));
  expect(await queueNamesWithPrefix(sqs, `ct-${ns}-${name}-`)).toHaveLength(3);
  await s3.send(new HeadBucketCommand({ Bucket: obj.status.buckets.input }));
  await s3.send(new HeadBucketCommand({ Bucket: obj.status.buckets.output }));
  // Clean up what the test retained.
  for (const q of await queueNamesWithPrefix(sqs, `ct-${ns}-${name}-`)) {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: (await sqs.send(new GetQueueUrlCommand({ QueueName: q }))).QueueUrl! }));
  }
});
