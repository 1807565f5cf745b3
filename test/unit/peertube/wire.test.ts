// lib/peertube/wire.ts: the server's answers satisfy what the runner checks, a PeerTube server's
// fuller answer does too, and the runner's truncation stays inside the server's message limit.
import { validator } from '../../../lib/validate.js';
import { AcceptResult, AcceptResultMinimal, ErrorBody, MAX_MESSAGE_LENGTH } from '../../../lib/peertube/wire.js';
import { runnerJobView } from '../../../api-server/runners/view.js';
import { truncate } from '../../../runner/protocol-client.js';
import { TaskState } from '../../../lib/schema/transcode-job.js';

const server = validator(AcceptResult, 'accept (server)');
const runner = validator(AcceptResultMinimal, 'accept (runner)');

test("the server's accept answer passes both its own schema and the runner's check", () => {
  const task = {
    uuid: 'b',
    type: 'vod-web-video-transcoding',
    name: 'web',
    state: TaskState.PROCESSING,
    failures: 0,
    priority: 100,
    createdAt: 't0',
    updatedAt: 't1',
    startedAt: 't1',
    dependsOn: 'a',
    payload: { input: { videoFileUrl: '/api/v1/runners/jobs/b/files/videos/v/max-quality', separatedAudioFileUrl: [] } },
  };
  const parent = { ...task, uuid: 'a', state: TaskState.COMPLETED, dependsOn: undefined };
  const job = { metadata: { name: 'j', uid: 'v' }, status: { tasks: [parent, task] } } as any;
  const runnerCr = { metadata: { name: 'r' }, spec: { runnerName: 'r1' }, status: { runnerId: 7 } } as any;
  const body = { job: { ...runnerJobView(job, task as any, 'https://api.example', runnerCr), jobToken: 'ptrjt-x' } };
  expect(server.assert(body).job).toMatchObject({ parent: { uuid: 'a', state: { id: 3, label: 'Completed' } }, runner: { id: 7 } });
  expect(runner.assert(body).job.payload).toMatchObject({
    input: { videoFileUrl: 'https://api.example/api/v1/runners/jobs/b/files/videos/v/max-quality' },
  });
  // A broken answer is refused by the runner, naming the field.
  expect(runner.errors({ job: { ...body.job, jobToken: '' } }).join()).toMatch(/jobToken/);
});

test("the runner's check accepts a PeerTube server's answer with fields we do not send", () => {
  const peertube = { job: { uuid: 'u', type: 'vod-hls-transcoding', payload: {}, jobToken: 'ptrjt-y', parent: { id: 3 }, extra: 1 } };
  expect(runner(peertube)).toBe(true);
});

test("the runner's truncation keeps error messages inside the server's limit", () => {
  const check = validator(ErrorBody, 'error body');
  const message = truncate('x'.repeat(MAX_MESSAGE_LENGTH * 3));
  expect(message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
  expect(check({ runnerToken: 'r', jobToken: 'j', message })).toBe(true);
  expect(check({ runnerToken: 'r', jobToken: 'j', message: 'x'.repeat(MAX_MESSAGE_LENGTH + 1) })).toBe(false);
});
