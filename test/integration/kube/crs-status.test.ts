// lib/kube/crs.ts (the typed client of our kinds) and lib/kube/status.ts (the one status writer)
// against the real kube-apiserver: every verb reaches the right resource, a missing object reads as
// undefined with find(), a stale resourceVersion conflicts, the writer retries a conflict by
// recomputing from the fresh object, and an unchanged status is not written.
import { CoreV1Api } from '@kubernetes/client-node';
import { kubeConfigForTests, uniqueName } from '../../helpers/env.js';
import { statusOf } from '../../../lib/kube/client.js';
import { crs } from '../../../lib/kube/crs.js';
import { StatusWriter, updateStatus, writeStatusOnce } from '../../../lib/kube/status.js';
import { API_VERSION, KINDS } from '../../../lib/kube/resources.js';
import type { TranscodeRunner } from '../../../lib/schema/transcode-runner.js';

type TranscodeRunnerStatus = NonNullable<TranscodeRunner['status']>;

const kc = kubeConfigForTests();
const ns = uniqueName('kube-crs');
const { runners, jobs, clients } = crs(kc);

function runner(name: string, labels: Record<string, string> = {}): TranscodeRunner {
  return {
    apiVersion: API_VERSION,
    kind: KINDS.TranscodeRunner.kind,
    metadata: { name, namespace: ns, labels },
    spec: { runnerName: name, registrationToken: 'rt-test' },
  };
}

async function codeOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
  } catch (err) {
    return statusOf(err);
  }
  throw new Error('expected the apiserver to refuse the call');
}

beforeAll(async () => {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
});

test('crs(kc) is built once per KubeConfig', () => {
  expect(crs(kc)).toBe(crs(kc));
  expect(crs(kubeConfigForTests())).not.toBe(crs(kc));
});

test('create, get, find, list by label, patch, replace, delete reach the right kind', async () => {
  const created = await runners.create(runner('r-verbs', { team: 'a' }));
  expect(created.metadata.uid).toBeTruthy();
  expect(created.kind).toBe('TranscodeRunner');
  await runners.create(runner('r-other', { team: 'b' }));

  expect((await runners.get(ns, 'r-verbs')).spec.runnerName).toBe('r-verbs');
  expect(await runners.find(ns, 'nope')).toBeUndefined();
  expect(await codeOf(runners.get(ns, 'nope'))).toBe(404);
  // The kinds are distinct resources: a runner name is no job and no client.
  expect(await jobs.find(ns, 'r-verbs')).toBeUndefined();
  expect(await clients.find(ns, 'r-verbs')).toBeUndefined();

  expect((await runners.list(ns)).map((r) => r.metadata.name).sort()).toEqual(['r-other', 'r-verbs']);
  expect((await runners.list(ns, { labelSelector: 'team=a' })).map((r) => r.metadata.name)).toEqual(['r-verbs']);
  // All namespaces: our objects are among them.
  const everywhere = await runners.list(undefined, { labelSelector: 'team=a' });
  expect(everywhere.some((r) => r.metadata.namespace === ns && r.metadata.name === 'r-verbs')).toBe(true);

  const patched = await runners.patch(ns, 'r-verbs', { spec: { description: 'patched' } });
  expect(patched.spec.description).toBe('patched');
  expect(patched.spec.runnerName).toBe('r-verbs'); // a merge patch keeps the other fields
  // A merge patch with a stale resourceVersion is refused.
  expect(await codeOf(runners.patch(ns, 'r-verbs', { metadata: { resourceVersion: created.metadata.resourceVersion }, spec: {} }))).toBe(
    409,
  );

  const replaced = await runners.replace({ ...patched, spec: { ...patched.spec, description: 'replaced' } });
  expect(replaced.spec.description).toBe('replaced');

  await runners.delete(ns, 'r-other');
  expect(await runners.find(ns, 'r-other')).toBeUndefined();
  expect(await codeOf(runners.delete(ns, 'r-other'))).toBe(404);
});

test('replaceStatus writes only the status and is guarded by resourceVersion', async () => {
  const created = await runners.create(runner('r-status'));
  const written = await runners.replaceStatus({ ...created, spec: { ...created.spec, description: 'ignored' }, status: { runnerId: 7 } });
  expect(written.status?.runnerId).toBe(7);
  expect(written.spec.description).toBeUndefined(); // the status subresource ignores spec changes
  expect(await codeOf(runners.replaceStatus({ ...created, status: { runnerId: 8 } }))).toBe(409);
  expect(await writeStatusOnce(kc, 'TranscodeRunner', { ...created, status: { runnerId: 8 } })).toBe('conflict');
  expect(await writeStatusOnce(kc, 'TranscodeRunner', { ...written, metadata: { ...written.metadata, name: 'gone' } })).toBe('gone');
});

test('updateStatus recomputes from the fresh object after a conflict and reports a missing object', async () => {
  const created = await runners.create(runner('r-update'));
  // Someone else writes after our read: our first write (from `created`) conflicts.
  await runners.replaceStatus({ ...created, status: { runnerId: 1, version: 'theirs' } });
  const seen: (number | undefined)[] = [];
  const result = await updateStatus<TranscodeRunner>(
    kc,
    'TranscodeRunner',
    ns,
    'r-update',
    (r) => {
      seen.push(r.status?.runnerId);
      r.status = { ...r.status, runnerId: (r.status?.runnerId ?? 0) + 10 };
      return true;
    },
    { current: created },
  );
  expect(seen).toEqual([undefined, 1]); // the stale copy first, then the fresh one
  expect(result?.status).toEqual({ runnerId: 11, version: 'theirs' });
  expect((await runners.get(ns, 'r-update')).status).toEqual({ runnerId: 11, version: 'theirs' });

  const unchanged = await updateStatus<TranscodeRunner>(kc, 'TranscodeRunner', ns, 'r-update', () => false);
  expect(unchanged?.metadata.resourceVersion).toBe(result?.metadata.resourceVersion);
  expect(await updateStatus<TranscodeRunner>(kc, 'TranscodeRunner', ns, 'no-such-runner', () => true)).toBeUndefined();
});

test('StatusWriter skips an unchanged status and adds the apiserver message to a refused write', async () => {
  const writer = new StatusWriter(kc);
  const update = (o: TranscodeRunner, compute: (cur: TranscodeRunner) => TranscodeRunnerStatus | undefined) =>
    writer.update<TranscodeRunnerStatus, TranscodeRunner>('TranscodeRunner', o, compute);
  const created = await runners.create(runner('r-writer'));
  const first = await update(created, () => ({ runnerId: 3, ip: '10.0.0.1' }));
  expect(first?.status).toEqual({ runnerId: 3, ip: '10.0.0.1' });
  // Same status, keys in another order: no write (the resourceVersion does not move).
  const again = await update(first!, () => ({ ip: '10.0.0.1', runnerId: 3 }));
  expect(again?.metadata.resourceVersion).toBe(first?.metadata.resourceVersion);
  expect(await update(first!, () => undefined)).toBe(first);
  // A stale object conflicts once and is recomputed from the fresh one.
  const fresh = await update(created, (cur) => ({ ...cur.status, version: 'v2' }));
  expect(fresh?.status).toEqual({ runnerId: 3, ip: '10.0.0.1', version: 'v2' });
  // The CRD refuses a status of the wrong shape: the error names the write and carries the message.
  await expect(update(fresh!, () => ({ runnerId: 'not-a-number' }) as unknown as TranscodeRunnerStatus)).rejects.toThrow(
    /writing status of TranscodeRunner .*\/r-writer failed: .*runnerId/,
  );
  expect(await update({ ...fresh!, metadata: { ...fresh!.metadata, name: 'gone' } }, () => ({}))).toBeUndefined();
});
