// operator/swf/history.ts (parsed once) and decider.ts (planDecisions): what the operator decides from a
// job and its execution history.
import type { HistoryEvent } from '@aws-sdk/client-swf';
import { TaskState, type TaskStatus, type TranscodeJob } from '../../../lib/schema/transcode-job.js';
import { loadSwfConfig } from '../../../operator/swf/config.js';
import { hasWork, planDecisions } from '../../../operator/swf/decider.js';
import { summarize } from '../../../operator/swf/history.js';
import type { SwfOf } from '../../../operator/swf/facts.js';

const cfg = loadSwfConfig({});
const list = (uuid: string) => `ct-${uuid}`;
const swfOf: SwfOf = (t) => t.swf ?? { activityId: t.uuid };
const sched = (eventId: number, activityId: string): HistoryEvent => ({
  eventId,
  eventType: 'ActivityTaskScheduled',
  eventTimestamp: new Date(),
  activityTaskScheduledEventAttributes: {
    activityId,
    activityType: { name: 'T', version: 'v1' },
    decisionTaskCompletedEventId: 1,
    taskList: { name: 'l' },
  },
});
const completed = (eventId: number, scheduledEventId: number): HistoryEvent => ({
  eventId,
  eventType: 'ActivityTaskCompleted',
  eventTimestamp: new Date(),
  activityTaskCompletedEventAttributes: { scheduledEventId, startedEventId: scheduledEventId + 1 },
});
function task(uuid: string, state: number, swf?: TaskStatus['swf']): TaskStatus {
  return {
    uuid,
    name: uuid,
    type: 'vod-web-video-transcoding',
    state,
    failures: 0,
    outputIndex: 0,
    ...(swf ? { swf } : {}),
  } as unknown as TaskStatus;
}
function job(phase: string, tasks: TaskStatus[]): TranscodeJob {
  return {
    metadata: { name: 'j', uid: 'u1' },
    spec: { jobId: 'id', clientRef: { name: 'c' }, job: { outputs: [{ key: 'o.mp4' }] } },
    status: { phase, tasks, outputs: [], ...(phase === 'Failed' ? { reason: 'TRANSCODE_FAIL', message: 'boom' } : {}) },
  } as unknown as TranscodeJob;
}

test('history: a close seen before its schedule event still counts (one parser for every reader)', () => {
  const s = summarize([completed(9, 5), sched(5, 'a'), sched(6, 'b')]);
  expect([...s.scheduled]).toEqual(['a', 'b']);
  expect([...s.closed]).toEqual(['a']);
});

test('schedules pending tasks not in the history; remembers ones already scheduled; skips waiting ones', () => {
  const tasks = [task('a', TaskState.PENDING), task('b', TaskState.PENDING), task('c', TaskState.WAITING_FOR_PARENT_JOB)];
  const j = job('Running', tasks);
  expect(hasWork(j, tasks, swfOf)).toBe(true);
  const plan = planDecisions(cfg, list, j, tasks, swfOf, summarize([sched(5, 'b')]));
  expect(plan.decisions.map((d) => d.scheduleActivityTaskDecisionAttributes?.activityId)).toEqual(['a']);
  expect(plan.decisions[0]!.scheduleActivityTaskDecisionAttributes!.taskList).toEqual({ name: 'ct-a' });
  expect([...plan.tasks.keys()]).toEqual(['a', 'b']);
  expect(plan.tasks.get('b')).toEqual({ activityId: 'b', scheduled: true, round: 0 });
  expect(plan).toMatchObject({ closed: false, retry: false });
  const none = [task('a', TaskState.PENDING, { activityId: 'a', scheduled: true })];
  expect(hasWork(job('Running', none), none, swfOf)).toBe(false);
});

test('a finished job closes the execution once no activity is open; activities given up on do not block', () => {
  const done = [task('a', TaskState.COMPLETED, { activityId: 'a', scheduled: true, closed: true })];
  const open = planDecisions(cfg, list, job('Succeeded', done), done, swfOf, summarize([sched(5, 'a'), sched(6, 'x')]));
  expect(open).toMatchObject({ decisions: [], closed: false, retry: true });
  const closed = planDecisions(cfg, list, job('Succeeded', done), done, swfOf, summarize([sched(5, 'a'), completed(7, 5)]));
  expect(closed.decisions.map((d) => d.decisionType)).toEqual(['CompleteWorkflowExecution']);
  expect(closed.closed).toBe(true);
  // 'a' is open in the history but closed in the CR (its token was lost): it does not hold the execution.
  const failed = planDecisions(cfg, list, job('Failed', done), done, swfOf, summarize([sched(5, 'a')]));
  expect(failed.decisions).toEqual([
    { decisionType: 'FailWorkflowExecution', failWorkflowExecutionDecisionAttributes: { reason: 'TRANSCODE_FAIL', details: 'boom' } },
  ]);
  expect(hasWork(job('Failed', done), done, swfOf)).toBe(true);
});
