// SWF recorder pure parts (operator/swf/): configuration from the environment, history summary, activity ids per attempt.
import { loadSwfConfig } from '../../../operator/swf/config.js';
import { summarize, activityIdFor, roundOf } from '../../../operator/swf/recorder.js';
import { jobSettingsFromEnv } from '../../../operator/config.js';

const stallMsFromEnv = (env: NodeJS.ProcessEnv) => jobSettingsFromEnv(env).stallMs;
import type { HistoryEvent } from '@aws-sdk/client-swf';

test('SWF config: defaults, overrides, and clear errors', () => {
  const d = loadSwfConfig({});
  expect(d).toMatchObject({
    enabled: true,
    domain: 'cloudtranscode',
    taskListPrefix: 'ct',
    activityType: { name: 'TranscodeAsset', version: 'v1' },
  });
  expect(d.activityTimeouts.heartbeat).toBe('NONE');
  const o = loadSwfConfig({ CT_SWF_ENABLED: 'false', CT_SWF_DOMAIN: 'prod', CT_SWF_TASK_LIST_PREFIX: 'x', CT_SWF_DECISION_TIMEOUT: '30' });
  expect(o).toMatchObject({ enabled: false, domain: 'prod', taskListPrefix: 'x', decisionTimeout: '30' });
  expect(() => loadSwfConfig({ CT_SWF_ENABLED: 'maybe' })).toThrow(/CT_SWF_ENABLED must be true or false/);
  expect(() => loadSwfConfig({ CT_SWF_DOMAIN: 'a:b' })).toThrow(/CT_SWF_DOMAIN/);
  expect(() => loadSwfConfig({ CT_SWF_DECISION_TIMEOUT: 'NONE' })).toThrow(/CT_SWF_DECISION_TIMEOUT/);
  expect(stallMsFromEnv({ CT_STALL_SECONDS: '3' })).toBe(3000);
  expect(stallMsFromEnv({})).toBe(180_000);
  expect(() => stallMsFromEnv({ CT_STALL_SECONDS: 'soon' })).toThrow(/CT_STALL_SECONDS/);
});

test('history summary: started-and-open vs closed activities', () => {
  const events: HistoryEvent[] = [
    {
      eventId: 5,
      eventType: 'ActivityTaskScheduled',
      eventTimestamp: new Date(),
      activityTaskScheduledEventAttributes: {
        activityId: 'a',
        activityType: { name: 'T', version: 'v1' },
        decisionTaskCompletedEventId: 4,
        taskList: { name: 'l' },
      },
    },
    {
      eventId: 6,
      eventType: 'ActivityTaskScheduled',
      eventTimestamp: new Date(),
      activityTaskScheduledEventAttributes: {
        activityId: 'b',
        activityType: { name: 'T', version: 'v1' },
        decisionTaskCompletedEventId: 4,
        taskList: { name: 'l' },
      },
    },
    {
      eventId: 7,
      eventType: 'ActivityTaskStarted',
      eventTimestamp: new Date(),
      activityTaskStartedEventAttributes: { scheduledEventId: 5 },
    },
    {
      eventId: 8,
      eventType: 'ActivityTaskStarted',
      eventTimestamp: new Date(),
      activityTaskStartedEventAttributes: { scheduledEventId: 6 },
    },
    {
      eventId: 9,
      eventType: 'ActivityTaskCompleted',
      eventTimestamp: new Date(),
      activityTaskCompletedEventAttributes: { scheduledEventId: 6, startedEventId: 8 },
    },
  ];
  const s = summarize(events);
  expect([...s.scheduled]).toEqual(['a', 'b']);
  expect([...s.started]).toEqual(['a']);
  expect([...s.closed]).toEqual(['b']);
});

test('activity ids per attempt and task rounds', () => {
  expect(activityIdFor('u', 0)).toBe('u');
  expect(activityIdFor('u', 3)).toBe('u.3');
  expect(roundOf({ failures: 2, timeouts: 1 } as never)).toBe(3);
});
