// Operator restarted in the middle of a job: the new instance derives everything from the CR and the
// SWF history; the job completes, SWF shows no duplicated activity, no task is run twice.
import { setupHarness, activityTimeline, eventTypes, type Harness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await setupHarness();
  await h.startOperator();
});
afterAll(async () => {
  await h?.close();
});

test('restart mid-job: completes, one SWF activity per task, each completed once', async () => {
  await h.createJob('restart', [
    { output_type: 'THUMB', size: '64x36', output_file: '/out/restart/a.jpg' },
    { output_type: 'THUMB', size: '64x36', snapshot_sec: 2, output_file: '/out/restart/b.jpg' },
    { output_type: 'AUDIO', output_file: '/out/restart/a.m4a' },
  ]);
  const planned = await h.runner.waitJob(
    'restart',
    'scheduled',
    (x) => (x.status?.tasks?.length ?? 0) === 3 && x.status!.tasks!.every((t) => t.swf?.scheduled),
  );
  const [a, b, c] = planned.status!.tasks!;
  await h.runner.run('restart', a!.uuid);
  await h.runner.waitJob('restart', 'first activity closed', (x) => !!x.status!.tasks![0]!.swf?.closed);
  // Second task accepted and started in SWF, then the operator goes away.
  await h.runner.accept('restart', b!.uuid);
  await h.runner.waitStarted('restart', b!.uuid);
  await h.stopOperator();
  // While it is down the runner finishes b and takes c (nobody records anything in SWF meanwhile).
  await h.runner.finish('restart', b!.uuid);
  await h.runner.accept('restart', c!.uuid);
  await h.startOperator();
  await h.runner.waitStarted('restart', c!.uuid);
  await h.runner.finish('restart', c!.uuid);
  const j = await h.runner.waitJob('restart', 'Succeeded', (x) => x.status?.phase === 'Succeeded' && !!x.status.workflow?.closed);
  expect(j.status!.outputs!.map((o) => o.status)).toEqual(['Succeeded', 'Succeeded', 'Succeeded']);
  const events = await h.history(j);
  const timeline = activityTimeline(events);
  expect([...timeline.keys()].sort()).toEqual([a!.uuid, b!.uuid, c!.uuid].sort());
  for (const seq of timeline.values()) expect(seq).toEqual(['Scheduled', 'Started', 'Completed']);
  expect(eventTypes(events).filter((e) => e === 'ActivityTaskScheduled')).toHaveLength(3);
  expect(eventTypes(events).filter((e) => e === 'WorkflowExecutionStarted')).toHaveLength(1);
  expect(eventTypes(events)).toContain('WorkflowExecutionCompleted');
});
