// The two CLI tools against the real stack: ct-commander sends commands (job data from flags or a file,
// queue URL looked up from the TranscodeClient with the kubeconfig), ct-poller prints the replies and
// stops when the job ends.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../env/paths.js';
import { envVars } from '../../env/environment.js';
import { setUp, createClient, getJob, uploadClip, sampleJob, type Harness, type TestClient } from './harness.js';
import { waitFor } from '../../env/process.js';

const COMMANDER = join(REPO_ROOT, 'dist', 'cli', 'ct-commander.js');
const POLLER = join(REPO_ROOT, 'dist', 'cli', 'ct-poller.js');

let h: Harness;
let c: TestClient;

beforeAll(async () => {
  h = await setUp('sqs-cli');
  c = await createClient(h, 'cli-client');
  await uploadClip(h, c);
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

function run(cli: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', ...envVars(h.info), ...env },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--help on both tools', () => {
  const commander = run(COMMANDER, ['--help']);
  expect(commander.code).toBe(0);
  expect(commander.stdout).toContain('Usage: ct-commander <command>');
  expect(commander.stdout).toContain('GET_ACTIVITY_STATUS');
  const poller = run(POLLER, ['--help']);
  expect(poller.code).toBe(0);
  expect(poller.stdout).toContain('--until-done');
});

test('usage errors exit 2 with a reason; invalid job data is not sent', () => {
  const noJob = run(COMMANDER, ['cancel', '--input-queue', c.inputUrl]);
  expect(noJob.code).toBe(2);
  expect(noJob.stderr).toContain('CANCEL_JOB needs --job-id');
  const noQueue = run(COMMANDER, ['status', '--job-id', 'x']);
  expect(noQueue.code).toBe(2);
  expect(noQueue.stderr).toContain('no input queue');
  const bad = run(COMMANDER, [
    'start',
    '--input-queue',
    c.inputUrl,
    '--input-bucket',
    c.inputBucket,
    '--input-file',
    'a.mp4',
    '--output',
    `type=GIF,bucket=${c.outputBucket},file=x.gif`,
  ]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/not sent.*\/outputs\/0\/output_type: must be one of/);
  const unknown = run(COMMANDER, ['reboot', '--input-queue', c.inputUrl]);
  expect(unknown.code).toBe(2);
});

test('start from flags, status, cancel; the poller prints the job’s messages until it ends', async () => {
  const byClient = ['--client', c.name, '--namespace', h.ns, '--kubeconfig', h.info.kubeconfig];
  const started = run(COMMANDER, [
    'start',
    ...byClient,
    '--job-id',
    'cli-1',
    '--input-bucket',
    c.inputBucket,
    '--input-file',
    'uploads/clip.mp4',
    '--output',
    `type=VIDEO,bucket=${c.outputBucket},file=cli/sd.mp4,preset=480p-16.9-generic,keep_ratio=false`,
    '--output',
    `type=THUMB,bucket=${c.outputBucket},file=cli/t.jpg,size=320x180,snapshot_sec=1`,
  ]);
  expect(started.stderr).not.toContain('ct-commander:');
  expect(started.code).toBe(0);
  expect(JSON.parse(started.stdout)).toMatchObject({ type: 'START_JOB', job_id: 'cli-1' });
  const job = await waitFor(
    'job cli-1 Running',
    async () => {
      const j = await getJob(h, c.name, 'cli-1');
      return j?.status?.phase === 'Running' ? j : undefined;
    },
    60_000,
    250,
  );
  expect(job.spec.job.outputs[0]).toEqual({
    output_type: 'VIDEO',
    output_bucket: c.outputBucket,
    output_file: 'cli/sd.mp4',
    preset: '480p-16.9-generic',
    keep_ratio: false,
  });
  expect(job.spec.job.outputs[1]).toMatchObject({ output_type: 'THUMB', size: '320x180', snapshot_sec: 1 });

  // Job data from a file, queue from the environment.
  const file = join(h.info.dir, 'cli-job.json');
  writeFileSync(file, JSON.stringify(sampleJob(c)));
  const fromFile = run(COMMANDER, ['START_JOB', '--job-id', 'cli-2', '--data', file], { CT_INPUT_QUEUE_URL: c.inputUrl });
  expect(fromFile.code).toBe(0);
  await waitFor('job cli-2', () => getJob(h, c.name, 'cli-2'), 30_000, 250);

  expect(run(COMMANDER, ['status', ...byClient, '--job-id', 'cli-1']).code).toBe(0);
  expect(run(COMMANDER, ['cancel', ...byClient, '--job-id', 'cli-1']).code).toBe(0);
  const polled = run(POLLER, ['--job', 'cli-1', '--until-done', '--timeout', '90', '--wait', '2'], { CT_OUTPUT_QUEUE_URL: c.outputUrl });
  expect(polled.stderr).not.toContain('ct-poller:');
  expect(polled.code).toBe(1); // the job ended canceled
  const lines = polled.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; job_id: string });
  const types = lines.map((l) => l.type);
  expect(lines.every((l) => l.job_id === 'cli-1')).toBe(true);
  expect(types[0]).toBe('JOB_STARTED');
  expect(types).toEqual(expect.arrayContaining(['JOB_STATUS', 'JOB_CANCEL_REQUESTED']));
  expect(types[types.length - 1]).toBe('JOB_CANCELED');

  // cli-2's messages were left for another reader.
  const other = run(POLLER, ['--output-queue', c.outputUrl, '--job', 'cli-2', '--count', '1', '--wait', '2', '--timeout', '60']);
  expect(other.code).toBe(0);
  expect(JSON.parse(other.stdout.trim().split('\n')[0]!)).toMatchObject({ type: 'JOB_STARTED', job_id: 'cli-2' });
});
