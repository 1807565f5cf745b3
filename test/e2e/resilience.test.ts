// Nothing stuck, nothing silent, no finished work thrown away (issue 13), through the whole system:
//   - an api-server outage longer than the old 6 s success retry: the finished output is delivered
//     once the api-server is back, not redone;
//   - a runner killed with kill -9 mid-ffmpeg leaves no ffmpeg behind;
//   - a job whose only task no runner ever takes ends JOB_FAILED with a readable reason at its deadline.
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { CtClient } from '../../sdk/index.js';
import type { AnyCtMessage } from '../../lib/ct/messages.js';
import { generateClip, probe } from '../helpers/media.js';
import { startStack, readyClient, listJobs, putFile, download, type Stack } from '../helpers/stack.js';
import { waitFor } from '../env/process.js';

let stack: Stack;
let short: Stack;

beforeAll(async () => {
  // A stall watchdog longer than the outages below: only the runner's retry is under test.
  [stack, short] = await Promise.all([
    startStack('resil', { CT_STALL_SECONDS: '150' }),
    startStack('deadline', { CT_JOB_DEADLINE_SECONDS: '25' }),
  ]);
}, 240_000);

afterAll(async () => {
  await Promise.all([stack?.components.stop(), short?.components.stop()]);
});

async function collect(client: CtClient, jobId: string, timeoutMs: number): Promise<AnyCtMessage[]> {
  const out: AnyCtMessage[] = [];
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const m of client.messages({ jobId, untilDone: true, waitSeconds: 2, signal })) out.push(m);
  return out;
}

/** The node process of a runner (its supervisor's child). */
function runnerPid(supervisorPid: number): number {
  return Number(
    execFileSync('pgrep', ['-P', String(supervisorPid), '-f', 'dist/runner/main.js'], { encoding: 'utf8' })
      .trim()
      .split('\n')[0],
  );
}

function ffmpegChildren(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-x', 'ffmpeg'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Running (not a zombie waiting to be reaped). */
function running(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    return readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

function logMessages(file: string): { msg: string; jobUuid?: string; attempt?: number }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; jobUuid?: string; attempt?: number });
}

async function slowJob(s: Stack, clientName: string, key: string) {
  const { queues, buckets } = await readyClient(s, clientName);
  const clip = await generateClip(join(s.dir, `${clientName}.mp4`), { durationSec: 30, width: 1280, height: 720, fps: 30 });
  await putFile(s, buckets.input!, 'in/long.mp4', clip);
  const client = new CtClient({ inputQueueUrl: queues.inputUrl!, outputQueueUrl: queues.outputUrl! });
  const jobId = await client.startJob({
    input_type: 'VIDEO',
    input_bucket: buckets.input!,
    input_file: 'in/long.mp4',
    outputs: [{ output_type: 'VIDEO', output_bucket: buckets.output!, output_file: key, preset: '720p-generic' }],
  });
  return { client, jobId, buckets };
}

async function processing(s: Stack, jobId: string, runner: string) {
  return waitFor(
    `${runner} to report progress`,
    async () => {
      const job = (await listJobs(s)).find((j) => j.spec.jobId === jobId);
      const task = job?.status?.tasks?.[0];
      return task?.state === 2 && (task.progress ?? 0) > 0 && task.runner?.name === runner ? task : undefined;
    },
    180_000,
    300,
  );
}

test('api-server down for longer than 6 s while a runner finishes: the output is delivered when it is back, not redone', async () => {
  const { client, jobId, buckets } = await slowJob(stack, 'outage', 'o/720.mp4');
  const runner = stack.components.startRunner('patient', {
    CT_RUNNER_CONCURRENCY: '1',
    CT_RUNNER_FFMPEG_THREADS: '1',
    CT_RUNNER_SUCCESS_RETRY: '120',
    CT_RUNNER_MAX_BACKOFF: '4',
  });
  const task = await processing(stack, jobId, 'patient');
  const api = stack.components.processes.find((p) => p.name === 'api-server')!;
  await api.stop('SIGKILL');
  const log = stack.components.logs['patient']!;
  await waitFor(
    'the runner to finish and fail to deliver',
    async () => (logMessages(log).some((l) => l.msg.startsWith('success upload failed')) ? true : undefined),
    240_000,
    500,
  );
  const firstFailure = Date.now();
  // Longer than the old give-up time (3 tries in ~6 s).
  await new Promise((r) => setTimeout(r, 12_000));
  expect(logMessages(log).some((l) => l.msg === 'job failed')).toBe(false);
  await stack.components.startApiServer();
  const messages = await collect(client, jobId, 180_000);
  expect(Date.now() - firstFailure).toBeGreaterThan(12_000);
  expect(messages.filter((m) => m.type === 'JOB_COMPLETED')).toHaveLength(1);
  const lines = logMessages(log).filter((l) => l.jobUuid === task.uuid);
  expect(lines.filter((l) => l.msg === 'job started')).toHaveLength(1); // not redone
  expect(lines.some((l) => l.msg === 'success delivered after retries')).toBe(true);
  const job = (await listJobs(stack)).find((j) => j.spec.jobId === jobId)!;
  expect(job.status?.phase).toBe('Succeeded');
  expect([job.status?.tasks?.[0]?.failures, job.status?.tasks?.[0]?.timeouts ?? 0]).toEqual([0, 0]);
  const out = await probe(await download(stack, buckets.output!, 'o/720.mp4', join(stack.dir, 'o720.mp4')));
  expect([out.width, out.height]).toEqual([1280, 720]);
  await runner.stop();
});

test('a runner killed with kill -9 mid-ffmpeg leaves no ffmpeg behind', async () => {
  const { jobId } = await slowJob(stack, 'orphan', 'k/720.mp4');
  const victim = stack.components.startRunner('victim', { CT_RUNNER_CONCURRENCY: '1', CT_RUNNER_FFMPEG_THREADS: '1' });
  await processing(stack, jobId, 'victim');
  const pid = runnerPid(victim.pid);
  const encoders = await waitFor('the runner ffmpeg', async () => {
    const f = ffmpegChildren(pid);
    return f.length ? f : undefined;
  });
  process.kill(pid, 'SIGKILL');
  await waitFor('every ffmpeg of the killed runner to be gone', async () => (encoders.some(running) ? undefined : true), 5000, 100);
  expect(encoders.filter(running)).toEqual([]);
});

test('a job whose only task no runner takes ends JOB_FAILED with a reason at its (shortened) deadline', async () => {
  const { queues, buckets } = await readyClient(short, 'nobody');
  const clip = await generateClip(join(short.dir, 'tiny.mp4'), { durationSec: 2, width: 320, height: 240 });
  await putFile(short, buckets.input!, 'in/tiny.mp4', clip);
  const client = new CtClient({ inputQueueUrl: queues.inputUrl!, outputQueueUrl: queues.outputUrl! });
  const started = Date.now();
  const jobId = await client.startJob({
    input_type: 'VIDEO',
    input_bucket: buckets.input!,
    input_file: 'in/tiny.mp4',
    outputs: [{ output_type: 'VIDEO', output_bucket: buckets.output!, output_file: 'n/x.mp4', preset: '320x240-generic' }],
  });
  const messages = await collect(client, jobId, 120_000);
  const ends = messages.filter((m) => ['JOB_COMPLETED', 'JOB_FAILED', 'JOB_CANCELED'].includes(m.type));
  expect(ends.map((m) => m.type)).toEqual(['JOB_FAILED']);
  const data = (ends[0] as { data: { reason: string; details: string } }).data;
  expect(data.reason).toBe('ACTIVITY_TIMEOUT');
  expect(data.details).toMatch(/deadline of 25 s.*never taken by a runner/);
  expect(Date.now() - started).toBeLessThan(90_000);
  const job = (await listJobs(short)).find((j) => j.spec.jobId === jobId)!;
  expect(job.status?.phase).toBe('Failed');
});
