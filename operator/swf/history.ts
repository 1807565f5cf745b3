// An execution's history, read page by page and parsed once into what the recorder needs: which
// activity ids were scheduled, which of them a worker started and which are closed.
import { GetWorkflowExecutionHistoryCommand, PollForDecisionTaskCommand, type HistoryEvent } from '@aws-sdk/client-swf';
import type { SwfApi } from './api.js';
import type { Execution } from './facts.js';

export interface HistorySummary {
  /** Every activity id scheduled in the execution, in history order. */
  scheduled: Set<string>;
  /** Started and still open. */
  started: Set<string>;
  /** Completed, failed, timed out or canceled. */
  closed: Set<string>;
}

/** Activity ids of a history: scheduled, started and still open, and closed. */
export function summarize(events: readonly HistoryEvent[]): HistorySummary {
  const ids = new Map<number, string>();
  const scheduled = new Set<string>();
  const started = new Set<string>();
  const closed = new Set<string>();
  for (const e of events) {
    const id = e.eventType === 'ActivityTaskScheduled' ? e.activityTaskScheduledEventAttributes?.activityId : undefined;
    if (id && e.eventId !== undefined) {
      ids.set(e.eventId, id);
      scheduled.add(id);
    }
  }
  for (const e of events) {
    const startedRef = e.activityTaskStartedEventAttributes?.scheduledEventId;
    if (startedRef !== undefined && ids.has(startedRef)) started.add(ids.get(startedRef)!);
    const closedRef =
      e.activityTaskCompletedEventAttributes?.scheduledEventId ??
      e.activityTaskFailedEventAttributes?.scheduledEventId ??
      e.activityTaskTimedOutEventAttributes?.scheduledEventId ??
      e.activityTaskCanceledEventAttributes?.scheduledEventId;
    if (closedRef !== undefined && ids.has(closedRef)) closed.add(ids.get(closedRef)!);
  }
  for (const id of closed) started.delete(id);
  return { scheduled, started, closed };
}

/** The execution's full history (GetWorkflowExecutionHistory, all pages). */
export async function executionHistory(api: SwfApi, execution: Execution): Promise<HistorySummary> {
  const events: HistoryEvent[] = [];
  let nextPageToken: string | undefined;
  do {
    const r = await api.call('GetWorkflowExecutionHistory', (swf) =>
      swf.send(new GetWorkflowExecutionHistoryCommand({ domain: api.cfg.domain, execution, ...(nextPageToken ? { nextPageToken } : {}) })),
    );
    events.push(...(r.events ?? []));
    nextPageToken = r.nextPageToken;
  } while (nextPageToken);
  return summarize(events);
}

/** Polls the decision task list once; a task comes with the history (all pages read). */
export async function pollDecisionTask(api: SwfApi, taskList: string): Promise<{ taskToken: string; history: HistorySummary } | undefined> {
  const domain = api.cfg.domain;
  const first = await api.call('PollForDecisionTask', (swf) =>
    swf.send(new PollForDecisionTaskCommand({ domain, taskList: { name: taskList }, identity: 'ct-operator' })),
  );
  if (!first.taskToken) return undefined;
  const events: HistoryEvent[] = [...(first.events ?? [])];
  let page = first.nextPageToken;
  while (page) {
    const nextPageToken = page;
    const r = await api.call('PollForDecisionTask', (swf) =>
      swf.send(new PollForDecisionTaskCommand({ domain, taskList: { name: taskList }, nextPageToken })),
    );
    events.push(...(r.events ?? []));
    page = r.nextPageToken;
  }
  return { taskToken: first.taskToken, history: summarize(events) };
}
