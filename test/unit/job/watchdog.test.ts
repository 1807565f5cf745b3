// The stall watchdog on pure status objects: silent runners and lost completions.
import { applyWatchdog } from '../../../operator/job/lifecycle.js';
import { COMPLETING_STALL_MS } from '../../../lib/peertube/task-state.js';
import type { TaskStatus, TranscodeJobStatus } from '../../../lib/schema/transcode-job.js';
import { taskFixture } from '../../helpers/fixtures.js';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function task(uuid: string, state: number, updatedAt: number): TaskStatus {
  const taken = state === 2 || state === 9 ? { runner: { name: 'r1' }, jobTokenHash: 'h', startedAt: iso(t0) } : {};
  return taskFixture({ uuid, state, placement: { bucket: 'b' }, createdAt: iso(t0), updatedAt: iso(updatedAt), ...taken });
}

test('a processing task silent past the stall time goes back to pending, counting a timeout', () => {
  const status: TranscodeJobStatus = { tasks: [task('a', 2, t0), task('b', 2, t0 + 100_000)] };
  expect(applyWatchdog(status, t0 + 121_000, 120_000)).toEqual(['a']);
  const [a, b] = status.tasks!;
  expect([a!.state, a!.timeouts, a!.runner, a!.jobTokenHash, a!.failures]).toEqual([1, 1, undefined, undefined, 0]);
  expect(b!.state).toBe(2);
});

test('a completion whose upload never finished is requeued only after the long completion timeout', () => {
  const status: TranscodeJobStatus = { tasks: [task('c', 9, t0)] };
  expect(applyWatchdog(status, t0 + 5 * 60_000, 120_000)).toEqual([]);
  expect(status.tasks![0]!.state).toBe(9);
  expect(applyWatchdog(status, t0 + COMPLETING_STALL_MS + 1000, 120_000)).toEqual(['c']);
  expect([status.tasks![0]!.state, status.tasks![0]!.timeouts]).toEqual([1, 1]);
});
