// The readable progress of ct-poller and the stack command, fed with the messages the publisher
// really plans (lib/ct/events.ts) for a job's states: outputs by name, never task uuids.
import { PassThrough } from 'node:stream';
import { planMessages } from '../../../lib/ct/events.js';
import type { TaskStatus, TranscodeJob } from '../../../lib/schema/transcode-job.js';
import { LiveProgress, ProgressBoard, formatRow, outputLabel } from '../../../cli/progress.js';
import { jobFixture, taskFixture, takenBy, VIDEO_AND_HLS } from '../../helpers/fixtures.js';

const SD = '11111111-aaaa-4aaa-8aaa-000000000001';
const HLS = '22222222-bbbb-4bbb-8bbb-000000000002';

function task(uuid: string, outputIndex: number, name: string, state: number, progress?: number): TaskStatus {
  return taskFixture({
    uuid,
    outputIndex,
    name,
    state,
    ...(state !== 1 ? takenBy('r', 'r') : {}),
    ...(progress !== undefined ? { progress } : {}),
  });
}

function job(tasks: TaskStatus[], phase: 'Running' | 'Succeeded' = 'Running'): TranscodeJob {
  const outputs = [VIDEO_AND_HLS[0]!, { ...VIDEO_AND_HLS[1]!, resolutions: [720] }];
  return jobFixture({ outputs, status: { phase, probe: { duration: 10 }, workflow: { workflowId: 'w', runId: 'r' }, tasks } });
}

/** What the client sees, in order, as the job moves through these states. */
function messagesFor(...states: TranscodeJob[]) {
  const published = new Set<string>();
  return states.flatMap((j) =>
    planMessages(j, published, { requireWorkflow: true }).map((p) => {
      if (p.key) published.add(p.key);
      return JSON.parse(JSON.stringify(p.message)) as { type: string; job_id?: string; data?: unknown };
    }),
  );
}

const running = job([task(SD, 0, 'output 0 VIDEO', 2, 51), task(HLS, 1, 'output 1 HLS 720p', 2, 7)]);
const done = job([task(SD, 0, 'output 0 VIDEO', 3), task(HLS, 1, 'output 1 HLS 720p', 3)], 'Succeeded');

test('plain lines name outputs ("VIDEO sd.mp4 51 %"), HLS renditions by height, and never show a task uuid', () => {
  const board = new ProgressBoard();
  const lines = messagesFor(running, done).map((m) => board.feed(m));
  expect(lines).toContain('ACTIVITY_PROGRESS VIDEO sd.mp4 51 %');
  expect(lines).toContain('ACTIVITY_PROGRESS HLS master.m3u8 720p 7 %');
  expect(lines).toContain('ACTIVITY_COMPLETED VIDEO sd.mp4');
  expect(lines).toContain('ACTIVITY_STARTED validate input');
  expect(lines[0]).toBe('JOB_STARTED job-1');
  expect(lines.at(-1)).toBe('JOB_COMPLETED job-1');
  for (const l of lines) expect(l).not.toMatch(/11111111|22222222/);
  expect(board.activities.map((r) => [r.label, r.progress, r.state])).toEqual([
    ['validate input', 100, 'done'],
    ['VIDEO sd.mp4', 100, 'done'],
    ['HLS master.m3u8 720p', 100, 'done'],
  ]);
});

test('a poller that joins mid-job falls back to a short activity id, then learns nothing wrong', () => {
  const board = new ProgressBoard();
  const progressOnly = messagesFor(running).filter((m) => m.type === 'ACTIVITY_PROGRESS');
  expect(board.feed(progressOnly[0]!)).toBe('ACTIVITY_PROGRESS activity 11111111 51 %');
  // With the outputs known up front (the stack command knows its job), the name is right at once.
  const known = new ProgressBoard(running.spec.job.outputs);
  const started = messagesFor(running).find((m) => m.type === 'ACTIVITY_STARTED' && JSON.stringify(m).includes(SD))!;
  expect(known.feed(started)).toBe('ACTIVITY_STARTED VIDEO sd.mp4');
});

test('failures carry their reason; outputLabel and formatRow', () => {
  const board = new ProgressBoard();
  const failed = job([{ ...task(SD, 0, 'output 0 VIDEO', 4), failures: 1, error: 'ffmpeg exited with 1' }]);
  const lines = messagesFor(failed).map((m) => board.feed(m));
  expect(lines).toContain('ACTIVITY_FAILED VIDEO sd.mp4 TRANSCODE_FAIL: ffmpeg exited with 1');
  expect(outputLabel({ output_type: 'THUMB', output_file: 'x/thumbs/t.jpg' })).toBe('THUMB t.jpg');
  expect(outputLabel(undefined)).toBeUndefined();
  expect(formatRow({ id: 'x', label: 'VIDEO sd.mp4', progress: 50, state: 'running' }, 14, 10)).toBe(
    '  VIDEO sd.mp4   [#####.....]  50 % running',
  );
});

test('LiveProgress: plain lines when not a terminal, one redrawn line per output on a terminal', () => {
  const msgs = messagesFor(running, done);
  const plain = new PassThrough();
  const p = new LiveProgress(plain, undefined, '');
  for (const m of msgs) p.feed(m);
  const text = String(plain.read());
  expect(text).not.toContain('\x1b[');
  expect(text.split('\n')).toContain('ACTIVITY_PROGRESS VIDEO sd.mp4 51 %');

  const tty = Object.assign(new PassThrough(), { isTTY: true });
  const live = new LiveProgress(tty, undefined, '');
  for (const m of msgs) live.feed(m);
  const screen = String(tty.read());
  expect(screen).toContain('\x1b[3F\x1b[J'); // the block of three activity lines is redrawn in place
  const last = screen.slice(screen.lastIndexOf('\x1b[J') + 3);
  expect(last.trim().split('\n')).toEqual([
    'JOB_COMPLETED job-1',
    expect.stringMatching(/^ {2}validate input +\[#{20}\] 100 % done$/),
    expect.stringMatching(/^ {2}VIDEO sd\.mp4 +\[#{20}\] 100 % done$/),
    expect.stringMatching(/^ {2}HLS master\.m3u8 720p \[#{20}\] 100 % done$/),
  ]);
});
