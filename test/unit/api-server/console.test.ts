// The console's pure parts: the session cookie, job/runner views, and the "messages sent" list read
// back from status.published keys — checked against the keys the publisher really plans.
import { planMessages } from '../../../lib/ct/events.js';
import type { TaskStatus, TranscodeJob } from '../../../lib/schema/transcode-job.js';
import type { TranscodeRunner } from '../../../lib/schema/transcode-runner.js';
import { sentMessage } from '../../../api-server/console/job-detail.js';
import { sessionCookie, validSession } from '../../../api-server/console/auth.js';
import { isRunnerOnline, jobView, runnerView } from '../../../api-server/console/views.js';
import { FIXTURE_NOW as NOW, jobFixture, taskFixture, takenBy, VIDEO_AND_HLS } from '../../helpers/fixtures.js';

function task(uuid: string, outputIndex: number, name: string, state: number, extra: Partial<TaskStatus> = {}): TaskStatus {
  return taskFixture({ uuid, outputIndex, name, state, ...(state !== 1 ? takenBy('runner-a-1', 'a') : {}), ...extra });
}

function job(tasks: TaskStatus[], phase: 'Running' | 'Succeeded' | 'Failed'): TranscodeJob {
  const outputStatus = phase === 'Succeeded' ? 'Succeeded' : 'Running';
  return jobFixture({
    outputs: VIDEO_AND_HLS,
    metadata: { creationTimestamp: NOW },
    status: {
      phase,
      probe: { duration: 10 },
      workflow: { workflowId: 'w', runId: 'r' },
      tasks,
      outputs: [
        { index: 0, type: 'VIDEO', status: outputStatus },
        { index: 1, type: 'HLS', status: outputStatus },
      ],
    },
  });
}

const U = ['11111111-0000-4000-8000-000000000001', '22222222-0000-4000-8000-000000000002', '33333333-0000-4000-8000-000000000003'];

test('every key the publisher records reads back as the message type it stands for, named by output', () => {
  const states = [
    job(
      [
        task(U[0]!, 0, 'output 0 VIDEO', 2, { progress: 40, timeouts: 1 }),
        task(U[1]!, 1, 'output 1 HLS 720p', 2),
        task(U[2]!, 1, 'output 1 HLS 480p', 1),
      ],
      'Running',
    ),
    job(
      [
        task(U[0]!, 0, 'output 0 VIDEO', 3, { timeouts: 1 }),
        task(U[1]!, 1, 'output 1 HLS 720p', 3),
        task(U[2]!, 1, 'output 1 HLS 480p', 4, { failures: 1, error: 'x' }),
      ],
      'Failed',
    ),
  ];
  const published = new Set<string>();
  const seen: string[] = [];
  for (const j of states)
    for (const p of planMessages(j, published, { requireWorkflow: true })) {
      if (!p.key) continue;
      published.add(p.key);
      const m = sentMessage(states[1]!, p.key);
      expect(`${p.key} → ${m.type}`).toBe(`${p.key} → ${p.message.type}`);
      seen.push(`${m.type} ${m.about}`);
    }
  expect(seen).toEqual(
    expect.arrayContaining([
      'JOB_STARTED the job',
      'ACTIVITY_STARTED input validation',
      'ACTIVITY_TIMEOUT VIDEO sd.mp4',
      'ACTIVITY_STARTED VIDEO sd.mp4 (attempt 2)',
      'ACTIVITY_COMPLETED HLS master.m3u8 720p',
      'ACTIVITY_FAILED HLS master.m3u8 480p',
      'JOB_FAILED the job',
    ]),
  );
  expect(seen.join('\n')).not.toMatch(/11111111|22222222|33333333/);
});

test('job view: progress per output from its tasks; runner view: current tasks and online', () => {
  const j = job(
    [
      task(U[0]!, 0, 'output 0 VIDEO', 2, { progress: 40 }),
      task(U[1]!, 1, 'output 1 HLS 720p', 3),
      task(U[2]!, 1, 'output 1 HLS 480p', 2, { progress: 50 }),
    ],
    'Running',
  );
  const v = jobView(j);
  expect(v.outputs.map((o) => [o.type, o.file, o.progress])).toEqual([
    ['VIDEO', 'a/sd.mp4', 40],
    ['HLS', 'a/hls/master.m3u8', 75],
  ]);
  expect(v.messagesSent).toBe(0);
  const runner: TranscodeRunner = {
    apiVersion: 'cloudtranscode.io/v1alpha1',
    kind: 'TranscodeRunner',
    metadata: { name: 'runner-a-1', namespace: 'ns' },
    spec: { runnerName: 'a', registrationToken: 't', jobTypes: ['vod-web-video-transcoding'] },
    status: { lastContact: NOW, version: '1.0.0', runnerId: 7 },
  };
  const now = Date.parse(NOW);
  const r = runnerView(runner, [j], false, 10_000, now + 5_000);
  expect(r.online).toBe(true);
  expect(r.currentTasks.map((t) => [t.name, t.progress])).toEqual([
    ['output 0 VIDEO', 40],
    ['output 1 HLS 480p', 50],
  ]);
  expect(isRunnerOnline(runner, false, 10_000, now + 11_000)).toBe(false);
  expect(isRunnerOnline(runner, true, 10_000, now + 11_000)).toBe(true); // its socket is still here
  expect(isRunnerOnline({ ...runner, status: {} }, false, 10_000, now)).toBe(false);
});

test('session cookies: valid until expiry, bound to the admin token, not forgeable', () => {
  const admin = 'a'.repeat(32);
  const now = Date.parse(NOW);
  const c = sessionCookie(admin, now);
  expect(validSession(c, admin, now + 1000)).toBe(true);
  expect(validSession(c, 'b'.repeat(32), now + 1000)).toBe(false);
  expect(validSession(c, admin, now + 13 * 3600_000)).toBe(false);
  const [exp, mac] = c.split('.');
  expect(validSession(`${Number(exp) + 3600}.${mac}`, admin, now)).toBe(false);
  expect(validSession(undefined, admin, now)).toBe(false);
  expect(validSession('garbage', admin, now)).toBe(false);
});
