// The CT migration CLI on a config in the G1 shape (reference §4.1): the manifests it prints are accepted
// by the real apiserver's CRD validation, adopt the queues, and bad configs get every error named.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { REPO_ROOT } from '../../env/paths.js';
import { kubeConfigForTests, uniqueName } from '../../helpers/env.js';
import { convertCtConfig, objectNameFor } from '../../../lib/ct/config-convert.js';

const CLI = join(REPO_ROOT, 'dist', 'cli', 'ct-migrate.js');
const dir = mkdtempSync(join(tmpdir(), 'ct-migrate-'));

// The shape of CloudTranscode@a986699 config/cloudTranscodeConfigSample.json, with real-looking values.
const g1Config = {
  aws: { region: 'us-east-1', key: 'AKIAEXAMPLE', secret: 'secret' },
  cloudTranscode: {
    workflow: {
      domain: 'CloudTranscodeDomain',
      decisionTaskList: 'decision-tasks',
      name: 'CloudTranscodeWorkflow',
      version: 'v1',
      description: 'My Transcode Workflow',
      defaultExecutionStartToCloseTimeout: 86400,
      defaultTaskStartToCloseTimeout: 60,
      defaultChildPolicy: 'TERMINATE',
    },
    activities: [
      {
        name: 'ValidateInputAndAsset',
        version: 'v1',
        description: 'Check input command and asset to be transcoded.',
        file: '/activities/ValidateInputAndAssetActivity.php',
        class: 'ValidateInputAndAssetActivity',
        activityTaskList: 'validate-tasks',
        scheduleToStartTimeout: 3600,
        scheduleToCloseTimeout: 4200,
        startToCloseTimeout: 600,
        heartbeatTimeout: 60,
      },
      {
        name: 'TranscodeAsset',
        version: 'v1',
        description: 'Perform transcoding on input asset and generate output file(s)',
        file: '/activities/TranscodeAssetActivity.php',
        class: 'TranscodeAssetActivity',
        activityTaskList: 'transcode-tasks',
        scheduleToStartTimeout: 68400,
        scheduleToCloseTimeout: 86400,
        startToCloseTimeout: 18000,
        heartbeatTimeout: 60,
      },
    ],
  },
  clients: [
    {
      name: 'ClientA',
      queues: {
        input: 'https://sqs.us-east-1.amazonaws.com/123456789012/CT_ClientA_input',
        output: 'https://sqs.us-east-1.amazonaws.com/123456789012/CT_ClientA_output',
      },
    },
    {
      name: 'video-portal',
      queues: {
        input: 'https://sqs.us-east-1.amazonaws.com/123456789012/CT_portal_input',
        output: 'https://sqs.us-east-1.amazonaws.com/123456789012/CT_portal_output',
      },
    },
  ],
};

function run(args: string[], input?: string) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input });
}

test('--help documents the command', () => {
  const out = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  expect(out).toContain('Usage: ct-migrate');
  expect(out).toContain('--principal');
});

test('a G1 config becomes TranscodeClients adopting its queues, accepted by the apiserver', async () => {
  const file = join(dir, 'cloudTranscodeConfig.json');
  writeFileSync(file, JSON.stringify(g1Config, null, 2));
  const ns = uniqueName('migrate');
  const r = run([file, '-n', ns, '--client-principal', 'ClientA=arn:aws:iam::444455556666:root']);
  expect(r.stderr).toContain('principal set to the queue owner');
  expect(r.status).toBe(0);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, any>);
  expect(docs).toHaveLength(2);
  expect(r.stdout).toContain('# NOTE: SWF settings (domain "CloudTranscodeDomain"');
  expect(r.stdout).not.toContain('AKIAEXAMPLE');
  expect(docs[0]).toEqual({
    apiVersion: 'cloudtranscode.io/v1alpha1',
    kind: 'TranscodeClient',
    metadata: { name: objectNameFor('ClientA'), namespace: ns, annotations: { 'cloudtranscode.io/ct-client-name': 'ClientA' } },
    spec: {
      principal: 'arn:aws:iam::444455556666:root',
      queues: {
        managed: false,
        inputUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/CT_ClientA_input',
        outputUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/CT_ClientA_output',
      },
      buckets: { input: { managed: true }, output: { managed: true } },
      deletionPolicy: { queues: 'Retain', buckets: 'Retain' },
    },
  });
  expect(docs[0]!.metadata.name).toMatch(/^clienta-[0-9a-f]{6}$/);
  expect(docs[1]!.metadata.name).toBe('video-portal');
  expect(docs[1]!.spec.principal).toBe('123456789012');

  // The real CRD validation accepts them.
  const kc = kubeConfigForTests();
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  const api = kc.makeApiClient(CustomObjectsApi);
  for (const doc of docs) {
    const created = (await api.createNamespacedCustomObject({
      group: 'cloudtranscode.io',
      version: 'v1alpha1',
      namespace: ns,
      plural: 'transcodeclients',
      body: doc,
      dryRun: 'All',
    })) as Record<string, any>;
    expect(created.spec.queues.inputUrl).toBe(doc.spec.queues.inputUrl);
  }
});

test('existing buckets and one principal for all clients; stdin input', () => {
  const r = run(
    ['-', '--principal', '210987654321', '--input-bucket', 'client-sources', '--output-bucket', 'client-results'],
    JSON.stringify(g1Config),
  );
  expect(r.status).toBe(0);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, any>);
  for (const d of docs) {
    expect(d.spec.principal).toBe('210987654321');
    expect(d.spec.buckets).toEqual({
      input: { managed: false, name: 'client-sources' },
      output: { managed: false, name: 'client-results' },
    });
  }
});

test('an invalid config is rejected with every bad field named', () => {
  const bad = structuredClone(g1Config) as Record<string, any>;
  bad.clients[0].queues.input = 'http://insecure/queue';
  bad.clients[1].extra = true;
  bad.cloudTranscode.activities.pop();
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify(bad));
  const r = run([file]);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('is not a valid CT G1 config');
  expect(r.stderr).toContain('/clients/0/queues/input: must match pattern "^https://"');
  expect(r.stderr).toContain('/clients/1/extra: is not allowed here');
  expect(r.stderr).toContain('/cloudTranscode/activities: must NOT have fewer than 2 items');
});

test('bad JSON, a bad principal and usage errors get clear messages', () => {
  const file = join(dir, 'broken.json');
  writeFileSync(file, '{"clients": [');
  expect(run([file]).stderr).toContain('is not valid JSON');
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify(g1Config));
  const r = run([good, '--principal', 'arn:aws:iam::12:user/x']);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('--principal: "arn:aws:iam::12:user/x" is not an AWS account id or IAM ARN');
  expect(run([good, '--client-principal', 'Nobody=123456789012']).stderr).toContain('"Nobody", which is not a client of this config');
  expect(run([]).status).toBe(2);
  expect(run([good, '--bogus']).status).toBe(2);
});

test('converter: colliding object names are refused', () => {
  const cfg = structuredClone(g1Config);
  cfg.clients[1]!.name = 'ClientA';
  expect(() => convertCtConfig(cfg, { namespace: 'default' })).toThrow('map to the same object name');
});
