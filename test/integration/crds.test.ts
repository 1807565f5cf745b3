// The CRDs against the real kube-apiserver: installed, Established, valid objects accepted,
// invalid ones rejected with a message naming the field, status only via the subresource,
// printer columns in table output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import { parse } from 'yaml';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { kubeConfigForTests, envInfo, uniqueName } from '../helpers/env.js';
import { REPO_ROOT } from '../env/paths.js';
import { GROUP, VERSION } from '../../lib/kube/resources.js';
import { crdFiles } from '../../hack/gen-crds.js';

const kc = kubeConfigForTests();
const objects = kc.makeApiClient(CustomObjectsApi);
const ns = uniqueName('crds');

function example(file: string): Record<string, any> {
  return parse(readFileSync(join(REPO_ROOT, 'examples', file), 'utf8'));
}

async function createJob(mutate: (job: Record<string, any>) => void): Promise<void> {
  const job = example('transcodejob.yaml');
  job.metadata.name = uniqueName('job');
  mutate(job);
  await objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: 'transcodejobs', body: job });
}

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const body = (err as { body?: unknown }).body;
    return typeof body === 'string' ? body : JSON.stringify(body ?? String(err));
  }
  throw new Error('expected the apiserver to reject the object, but it was accepted');
}

beforeAll(async () => {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
});

test('committed crds/ match the schemas they are generated from', () => {
  for (const [name, text] of crdFiles()) {
    expect(readFileSync(join(REPO_ROOT, 'crds', name), 'utf8')).toBe(text);
  }
});

test('all three CRDs are installed and Established', async () => {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const plural of ['transcodeclients', 'transcodejobs', 'transcoderunners']) {
    const crd = await api.readCustomResourceDefinition({ name: `${plural}.${GROUP}` });
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    expect(crd.spec.versions[0]?.subresources?.status).toBeDefined();
  }
});

test('the example TranscodeClient and TranscodeJob are accepted', async () => {
  const client = example('transcodeclient.yaml');
  const created = (await objects.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: 'transcodeclients',
    body: client,
  })) as Record<string, any>;
  // Defaults from the schema are applied by the apiserver.
  expect(created.spec.queues.managed).toBe(true);
  await createJob(() => undefined);
});

test.each([
  ['no input', (j: Record<string, any>) => delete j.spec.job.input_file, 'input_file'],
  ['unknown output type', (j: Record<string, any>) => (j.spec.job.outputs[0].output_type = 'GIF'), 'output_type'],
  ['negative size', (j: Record<string, any>) => (j.spec.job.outputs[1].size = '-320x180'), 'size'],
  ['bad job_id characters', (j: Record<string, any>) => (j.spec.jobId = 'bad id/../x'), 'jobId'],
  ['VIDEO output without preset', (j: Record<string, any>) => delete j.spec.job.outputs[0].preset, 'preset'],
  ['THUMB output without size', (j: Record<string, any>) => delete j.spec.job.outputs[1].size, 'size'],
  ['preset on a THUMB output', (j: Record<string, any>) => (j.spec.job.outputs[1].preset = '720p-generic'), 'preset'],
  ['no outputs', (j: Record<string, any>) => (j.spec.job.outputs = []), 'outputs'],
])('a job with %s is rejected naming the field', async (_what, mutate, field) => {
  const message = await rejection(createJob(mutate));
  expect(message).toContain('Invalid');
  expect(message).toContain(field);
});

test('invalid clients are rejected: bad principal, bad bucket name, adopted queues without URLs', async () => {
  const base = example('transcodeclient.yaml');
  const make = (mutate: (c: Record<string, any>) => void) => {
    const c = structuredClone(base);
    c.metadata.name = uniqueName('client');
    mutate(c);
    return objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: 'transcodeclients', body: c });
  };
  expect(await rejection(make((c) => (c.spec.principal = 'arn:aws:iam::12:user/x')))).toContain('spec.principal');
  expect(await rejection(make((c) => (c.spec.buckets.input = { managed: false, name: 'Bad_Bucket!' })))).toContain(
    'spec.buckets.input.name',
  );
  expect(await rejection(make((c) => (c.spec.buckets.output = { managed: false })))).toContain('needs a name');
  expect(await rejection(make((c) => (c.spec.queues = { managed: false })))).toContain('inputUrl');
});

test('encoding policy: exact, peertube and auto are accepted; anything else is rejected naming spec.encodingPolicy', async () => {
  const base = example('transcodeclient.yaml');
  const make = (mutate: (c: Record<string, any>) => void) => {
    const c = structuredClone(base);
    c.metadata.name = uniqueName('client');
    mutate(c);
    return objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: 'transcodeclients', body: c });
  };
  for (const policy of ['exact', 'peertube', 'auto']) {
    const created = (await make((c) => (c.spec.encodingPolicy = policy))) as { spec: { encodingPolicy: string } };
    expect(created.spec.encodingPolicy).toBe(policy);
  }
  const bad = await rejection(make((c) => (c.spec.encodingPolicy = 'fast')));
  expect(bad).toContain('spec.encodingPolicy');
  expect(bad).toMatch(/Unsupported value.*fast/);
  expect(await rejection(make((c) => (c.spec.noRunnerTimeoutSeconds = 0)))).toContain('spec.noRunnerTimeoutSeconds');
});

test('zero bitrates and vanishing frame rates are rejected by the apiserver too, naming the field', async () => {
  const out = (mutate: (o: Record<string, any>) => void) => createJob((j) => mutate(j.spec.job.outputs[0]));
  expect(await rejection(out((o) => (o.video_bitrate = '0k')))).toContain('spec.job.outputs[0].video_bitrate');
  expect(await rejection(out((o) => (o.audio_bitrate = '0k')))).toContain('spec.job.outputs[0].audio_bitrate');
  expect(await rejection(out((o) => (o.frame_rate = 1e-9)))).toContain('spec.job.outputs[0].frame_rate');
});

test('spec.job is immutable and cancel cannot be undone', async () => {
  const name = uniqueName('immut');
  await createJob((j) => (j.metadata.name = name));
  const patch = (body: unknown) =>
    objects.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: ns, plural: 'transcodejobs', name, body },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  expect(await rejection(patch({ spec: { job: { input_file: 'other.mp4' } } }))).toContain('immutable');
  await patch({ spec: { cancel: true } });
  expect(await rejection(patch({ spec: { cancel: false } }))).toContain('un-canceled');
});

test('status is writable only through the status subresource', async () => {
  const name = uniqueName('status');
  await createJob((j) => (j.metadata.name = name));
  const current = (await objects.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: 'transcodejobs',
    name,
  })) as Record<string, any>;
  // A status in a main-resource update is ignored...
  const replaced = (await objects.replaceNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: 'transcodejobs',
    name,
    body: { ...current, status: { phase: 'Succeeded' } },
  })) as Record<string, any>;
  expect(replaced.status?.phase).toBeUndefined();
  // ...and applied through /status.
  const viaStatus = (await objects.replaceNamespacedCustomObjectStatus({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: 'transcodejobs',
    name,
    body: { ...replaced, status: { phase: 'Running', progress: 42 } },
  })) as Record<string, any>;
  expect(viaStatus.status.phase).toBe('Running');
  // An invalid status is rejected too.
  expect(
    await rejection(
      objects.replaceNamespacedCustomObjectStatus({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: 'transcodejobs',
        name,
        body: { ...viaStatus, status: { phase: 'Exploded' } },
      }),
    ),
  ).toContain('status.phase');
});

test('printer columns appear in a table GET and in kubectl get', async () => {
  const name = uniqueName('table');
  await createJob((j) => (j.metadata.name = name));
  const info = envInfo();
  const table = JSON.parse(
    await httpsGet(
      `${info.server}/apis/${GROUP}/${VERSION}/namespaces/${ns}/transcodejobs`,
      {
        Authorization: `Bearer ${info.token}`,
        Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      },
      readFileSync(info.caFile),
    ),
  );
  expect(table.kind).toBe('Table');
  expect(table.columnDefinitions.map((c: { name: string }) => c.name)).toEqual([
    'Name',
    'Phase',
    'Progress',
    'Client',
    'Job ID',
    'Reason',
    'Age',
  ]);
  expect(table.rows.some((r: { cells: unknown[] }) => r.cells[0] === name && r.cells[3] === 'demo')).toBe(true);
  const out = execFileSync(info.kubectl, ['--kubeconfig', info.kubeconfig, '-n', ns, 'get', 'transcodejobs', name], { encoding: 'utf8' });
  expect(out.split('\n')[0]).toMatch(/NAME\s+PHASE\s+PROGRESS\s+CLIENT\s+AGE/);
  expect(out).toContain('demo');
  const wide = execFileSync(info.kubectl, ['--kubeconfig', info.kubeconfig, '-n', ns, 'get', 'transcodeclients', '-o', 'wide'], {
    encoding: 'utf8',
  });
  expect(wide.split('\n')[0]).toMatch(/READY\s+REASON\s+ACTIVE\s+INPUT QUEUE\s+OUTPUT QUEUE/);
});

function httpsGet(url: string, headers: Record<string, string>, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { headers, ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve(body) : reject(new Error(`${res.statusCode}: ${body}`))));
    })
      .on('error', reject)
      .end();
  });
}
