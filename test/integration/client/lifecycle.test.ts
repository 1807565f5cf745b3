// Operator lifecycle around TranscodeClients: kill -9 mid-reconcile and restart converges with no
// duplicates; two replicas elect one leader and the standby takes over; deletion waits for the client's
// jobs; the finalizer never blocks forever on AWS errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CoreV1Api, CustomObjectsApi, CoordinationV1Api } from '@kubernetes/client-node';
import { envInfo, kubeConfigForTests, uniqueName } from '../../helpers/env.js';
import { REPO_ROOT } from '../../env/paths.js';
import { freePort, waitFor } from '../../env/process.js';
import {
  startOperator,
  clientsApi,
  condition,
  waitForCondition,
  eventsFor,
  awsClients,
  queueNamesWithPrefix,
  bucketNames,
  readyz,
  type Operator,
} from './operator.js';

const info = envInfo();
const kc = kubeConfigForTests();
const clients = clientsApi(kc);
const { sqs, s3 } = awsClients(info);
const operators: Operator[] = [];

function client(name: string, mutate: (c: Record<string, any>) => void = () => undefined): Record<string, any> {
  const c = parse(readFileSync(join(REPO_ROOT, 'examples', 'transcodeclient.yaml'), 'utf8'));
  c.metadata = { name };
  mutate(c);
  return c;
}

async function namespace(prefix: string): Promise<string> {
  const ns = uniqueName(prefix);
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  return ns;
}

async function start(id: string, env: Record<string, string>): Promise<Operator> {
  const op = await startOperator(info, id, env);
  operators.push(op);
  return op;
}

afterAll(async () => {
  await Promise.all(operators.map((o) => o.proc.stop()));
});

test('kill -9 mid-reconcile and restart converges to the same state with no duplicates', async () => {
  const ns = await namespace('crash');
  const env = { CT_NAMESPACE: ns, CT_LEASE_NAME: uniqueName('lease'), CT_CLIENT_CONCURRENCY: '2' };
  const names = Array.from({ length: 40 }, (_, i) => `c${i}`);
  const first = await start(uniqueName('crash-a'), env);
  await Promise.all(names.map((n) => clients.create(ns, client(n))));
  // Kill while some clients are done and others are in flight.
  await waitFor('first clients Ready', async () => {
    let ready = 0;
    for (const n of names) if (condition(await clients.tryGet(ns, n), 'Ready')?.status === 'True') ready++;
    return ready >= 2 ? ready : undefined;
  });
  await first.kill9();
  const partial = await queueNamesWithPrefix(sqs, `ct-${ns}-`);
  expect(partial.length).toBeLessThan(names.length * 3); // really interrupted mid-way

  await start(uniqueName('crash-b'), env);
  for (const n of names) {
    const obj = await waitForCondition(kc, ns, n, 'Ready', 'True', undefined, 120_000);
    expect(obj.status.queues.inputUrl).toMatch(new RegExp(`/ct-${ns}-${n}-input$`));
    expect(obj.metadata.finalizers).toEqual(['cloudtranscode.io/client-cleanup']);
  }
  const queues = await queueNamesWithPrefix(sqs, `ct-${ns}-`);
  expect(queues).toEqual(names.flatMap((n) => [`ct-${ns}-${n}-dlq`, `ct-${ns}-${n}-input`, `ct-${ns}-${n}-output`]).sort());
  const buckets = (await bucketNames(s3)).filter((b) => b.startsWith(`ct-${ns}-`));
  expect(buckets).toEqual(names.flatMap((n) => [`ct-${ns}-${n}-input`, `ct-${ns}-${n}-output`]).sort());
});

test('two operators: only the leader acts; killing it lets the standby act within the lease duration', async () => {
  const ns = await namespace('leader');
  const lease = uniqueName('lease');
  // Short SQS long polls: a graceful stop waits for in-flight polls before it releases the lease, and the
  // test supervisor allows 3 s for a stop.
  const env = { CT_NAMESPACE: ns, CT_LEASE_NAME: lease, CT_LEASE_NAMESPACE: ns, CT_LEASE_DURATION_MS: '4000', CT_SQS_WAIT_SECONDS: '1' };
  const a = await start(uniqueName('op-a'), env);
  await waitFor('a leads', async () => ((await readyz(a)).leader ? true : undefined), 15_000);
  const b = await start(uniqueName('op-b'), env);
  await waitFor('b ready (cache synced)', async () => ((await readyz(b)).ready ? true : undefined), 15_000);
  expect((await readyz(b)).leader).toBe(false);

  await clients.create(ns, client('first'));
  await waitForCondition(kc, ns, 'first', 'Ready', 'True');
  const holder = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: lease, namespace: ns });
  expect(holder.spec?.holderIdentity).toBe(a.id);
  expect(readFileSync(b.proc.logFile, 'utf8')).not.toContain('provisioned client resources');

  await a.kill9();
  const killedAt = Date.now();
  await waitFor('b leads', async () => ((await readyz(b)).leader ? true : undefined), 15_000, 100);
  const takeoverMs = Date.now() - killedAt;
  // Lease 4 s, seen unchanged for 4 s on b's own clock, + polling slack (retry period 0.8 s, loaded CI).
  expect(takeoverMs).toBeLessThan(4000 + 3000);
  expect(takeoverMs).toBeGreaterThan(2000); // and not before the lease could have expired
  await clients.create(ns, client('second'));
  await waitForCondition(kc, ns, 'second', 'Ready', 'True');
  expect(readFileSync(b.proc.logFile, 'utf8')).toContain(`"key":"${ns}/second"`);
  const lease2 = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: lease, namespace: ns });
  expect(lease2.spec?.holderIdentity).toBe(b.id);
  expect(lease2.spec?.leaseTransitions).toBeGreaterThanOrEqual(1);

  // A graceful stop releases the lease: a new standby takes over at once, not after 4 s.
  const c = await start(uniqueName('op-c'), env);
  await waitFor('c ready', async () => ((await readyz(c)).ready ? true : undefined), 15_000);
  const stoppedAt = Date.now();
  await b.proc.stop();
  await waitFor('c leads', async () => ((await readyz(c)).leader ? true : undefined), 15_000, 100);
  expect(Date.now() - stoppedAt).toBeLessThan(3000);
  expect(readFileSync(b.proc.logFile, 'utf8')).toContain('released leader lease');
});

test('deletion waits for unfinished jobs of the client, then cleans up', async () => {
  const ns = await namespace('jobs');
  // Only the client controller runs, so the job stays exactly in the phase this test gives it.
  await start(uniqueName('jobs'), { CT_NAMESPACE: ns, CT_LEASE_NAME: uniqueName('lease'), CT_DISABLE: 'transcodejob,sqs-publisher' });
  await clients.create(ns, client('owner'));
  await waitForCondition(kc, ns, 'owner', 'Ready', 'True');
  const api = kc.makeApiClient(CustomObjectsApi);
  const ref = { group: 'cloudtranscode.io', version: 'v1alpha1', namespace: ns, plural: 'transcodejobs' };
  const job = parse(readFileSync(join(REPO_ROOT, 'examples', 'transcodejob.yaml'), 'utf8'));
  job.metadata = { name: 'owner-job', labels: { 'cloudtranscode.io/client': 'owner' } };
  job.spec.clientRef = { name: 'owner' };
  const created = (await api.createNamespacedCustomObject({ ...ref, body: job })) as Record<string, any>;
  await api.replaceNamespacedCustomObjectStatus({ ...ref, name: 'owner-job', body: { ...created, status: { phase: 'Running' } } });
  await waitFor('job counted', async () => ((await clients.get(ns, 'owner')).status?.jobs?.active === 1 ? true : undefined));

  await clients.delete(ns, 'owner');
  const waiting = await waitForCondition(kc, ns, 'owner', 'Ready', 'False', 'WaitingForJobs');
  expect(condition(waiting, 'Ready')!.message).toContain('deletion waits for 1 unfinished job(s)');
  expect(condition(waiting, 'Ready')!.message).toContain('owner-job');
  expect(await queueNamesWithPrefix(sqs, `ct-${ns}-owner-`)).toHaveLength(3);

  const current = (await api.getNamespacedCustomObject({ ...ref, name: 'owner-job' })) as Record<string, any>;
  await api.replaceNamespacedCustomObjectStatus({ ...ref, name: 'owner-job', body: { ...current, status: { phase: 'Canceled' } } });
  await waitFor('client gone', async () => ((await clients.tryGet(ns, 'owner')) ? undefined : true), 30_000);
  expect(await queueNamesWithPrefix(sqs, `ct-${ns}-owner-`)).toEqual([]);
});

test('the finalizer never blocks forever: AWS errors are reported, then the finalizer goes with an Event', async () => {
  const ns = await namespace('stuck');
  const lease = uniqueName('lease');
  const good = await start(uniqueName('good'), { CT_NAMESPACE: ns, CT_LEASE_NAME: lease });
  await clients.create(ns, client('doomed'));
  await waitForCondition(kc, ns, 'doomed', 'Ready', 'True');
  await good.proc.stop();

  // A replica whose AWS endpoint is unreachable: every cleanup call fails.
  const dead = `http://127.0.0.1:${await freePort()}`;
  await start(uniqueName('broken'), {
    CT_NAMESPACE: ns,
    CT_LEASE_NAME: lease,
    CT_AWS_ENDPOINT: dead,
    AWS_ENDPOINT_URL: dead,
    AWS_MAX_ATTEMPTS: '1',
    CT_CLEANUP_MAX_ATTEMPTS: '3',
  });
  // AWS being unreachable is reported as such, without forgetting the queues that exist.
  const unreachable = await waitForCondition(kc, ns, 'doomed', 'Ready', 'False', 'AwsError');
  expect(condition(unreachable, 'QueuesReady')!.message).toContain('SQS call failed: ');
  expect(unreachable.status.queues.inputUrl).toMatch(new RegExp(`/ct-${ns}-doomed-input$`));
  expect(unreachable.status.buckets.input).toBe(`ct-${ns}-doomed-input`);

  await clients.delete(ns, 'doomed');
  await waitFor('client gone despite AWS errors', async () => ((await clients.tryGet(ns, 'doomed')) ? undefined : true), 60_000);
  const events = await eventsFor(kc, ns, 'doomed');
  const failed = events.filter((e) => e.reason === 'CleanupFailed');
  expect(failed.length).toBeGreaterThanOrEqual(1);
  expect(failed.map((e) => e.message).join('\n')).toContain(`cleanup attempt 1/3 failed: deleting queue ct-${ns}-doomed-input failed: `);
  const abandoned = events.find((e) => e.reason === 'CleanupAbandoned');
  expect(abandoned?.type).toBe('Warning');
  expect(abandoned?.message).toContain(
    `gave up cleaning up after 3 attempts and removed the finalizer; left behind: queue ct-${ns}-doomed-input, queue ct-${ns}-doomed-output, ` +
      `queue ct-${ns}-doomed-dlq, bucket ct-${ns}-doomed-input, bucket ct-${ns}-doomed-output; last error: cleanup attempt 3/3 failed`,
  );
  // What was left behind really is still there.
  expect(await queueNamesWithPrefix(sqs, `ct-${ns}-doomed-`)).toHaveLength(3);
});
