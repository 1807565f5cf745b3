// Records every TranscodeJob as a real SWF workflow execution (cloudtranscode-reference §5), with the
// operator as the decider:
//   - one execution per job, workflowId `ct-<job uid>` (idempotent start), decisions on a task list of
//     its own so the operator polls exactly the job it is reconciling;
//   - one activity per runner task on the task's own task list; when the CR says a runner took the
//     task, the operator polls that list with identity = runner name (SWF records ActivityTaskStarted);
//   - progress → RecordActivityTaskHeartbeat (throttled); completed / errored / cancelled →
//     RespondActivityTask{Completed,Failed,Canceled}; a retried task (runner error, watchdog, abort)
//     fails the current attempt and a new attempt `<uuid>.<n>` is scheduled;
//   - the job's end → CompleteWorkflowExecution / FailWorkflowExecution, cancel → Terminate.
// Stateless: what to do is derived from the stored CR and the execution history, never from memory
// (the heartbeat throttle and signal back-off excepted, which only save calls). The results are
// returned as facts the controller writes into the CR in its single status write.
import {
  SWFClient,
  RegisterDomainCommand,
  RegisterWorkflowTypeCommand,
  RegisterActivityTypeCommand,
  DescribeDomainCommand,
  StartWorkflowExecutionCommand,
  ListOpenWorkflowExecutionsCommand,
  ListClosedWorkflowExecutionsCommand,
  PollForDecisionTaskCommand,
  RespondDecisionTaskCompletedCommand,
  PollForActivityTaskCommand,
  RecordActivityTaskHeartbeatCommand,
  RespondActivityTaskCompletedCommand,
  RespondActivityTaskFailedCommand,
  RespondActivityTaskCanceledCommand,
  TerminateWorkflowExecutionCommand,
  SignalWorkflowExecutionCommand,
  GetWorkflowExecutionHistoryCommand,
  type Decision,
  type HistoryEvent,
} from '@aws-sdk/client-swf';
import type { Logger } from '../../lib/log.js';
import { errorInfo } from '../../lib/log.js';
import { TaskState, type TaskStatus, type TranscodeJob, type TranscodeJobStatus } from '../../lib/schema/transcode-job.js';
import type { SwfConfig } from './config.js';
import { swfCalls } from './metrics.js';
import { SWF_LIMITS, boundedJson, truncate } from '../../lib/aws/limits.js';
import { workflowInput, activityInput, activityResult, workflowResult } from './payloads.js';

export type TaskSwf = NonNullable<TaskStatus['swf']>;
export type WorkflowRef = NonNullable<TranscodeJobStatus['workflow']>;

export interface SwfFacts {
  workflow?: WorkflowRef;
  /** New value of task.swf per task uuid (SWF reality; applied as-is to the fresh CR). */
  tasks: Map<string, TaskSwf>;
  /** Re-run the sync after this long (SWF had nothing for us yet). */
  retryMs?: number;
}

export function applySwfFacts(status: TranscodeJobStatus, facts: SwfFacts): void {
  if (facts.workflow) status.workflow = { ...status.workflow, ...facts.workflow };
  for (const t of status.tasks ?? []) {
    const swf = facts.tasks.get(t.uuid);
    if (swf) t.swf = swf;
  }
}

export function workflowIdOf(job: TranscodeJob): string {
  return `ct-${job.metadata.uid ?? job.metadata.name}`;
}

/** The task's round: how many times it was handed back (errors + watchdog), see TaskSwf.round. */
export function roundOf(t: TaskStatus): number {
  return t.failures + (t.timeouts ?? 0);
}

export function activityIdFor(uuid: string, attempt: number): string {
  return attempt === 0 ? uuid : `${uuid}.${attempt}`;
}

// States in which a runner actually ran the task (so SWF must show it scheduled and started).
const RAN = new Set<number>([TaskState.PROCESSING, TaskState.COMPLETING, TaskState.COMPLETED, TaskState.ERRORED]);
const SCHEDULABLE = new Set<number>([TaskState.PENDING, ...RAN]);

function errName(err: unknown): string {
  return (err as { name?: string })?.name ?? '';
}

/** Activity ids of a history: started and still open, and closed (completed/failed/timed out/canceled). */
export function summarize(events: HistoryEvent[]): { scheduled: Set<string>; started: Set<string>; closed: Set<string> } {
  const ids = new Map<number, string>();
  const scheduled = new Set<string>();
  const started = new Set<string>();
  const closed = new Set<string>();
  for (const e of events) {
    if (e.eventType === 'ActivityTaskScheduled') {
      const id = e.activityTaskScheduledEventAttributes?.activityId;
      if (id) {
        ids.set(e.eventId!, id);
        scheduled.add(id);
      }
      continue;
    }
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

export class SwfRecorder {
  private readonly heartbeats = new Map<string, { at: number; progress: number | undefined }>();
  private readonly signals = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private registered = false;

  constructor(
    readonly swf: SWFClient,
    readonly cfg: SwfConfig,
    private readonly log: Logger,
  ) {}

  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      const r = await fn();
      swfCalls.inc({ op, result: 'ok' });
      return r;
    } catch (err) {
      swfCalls.inc({ op, result: 'error' });
      throw err;
    }
  }

  decisionTaskList(job: TranscodeJob): string {
    return `${this.cfg.taskListPrefix}-decide-${job.metadata.uid ?? job.metadata.name}`;
  }

  activityTaskList(uuid: string): string {
    return `${this.cfg.taskListPrefix}-${uuid}`;
  }

  /** Registers domain, workflow type and activity types when missing (safe to repeat). */
  async ensureRegistered(): Promise<void> {
    if (this.registered || !this.cfg.enabled) return;
    const { domain } = this.cfg;
    try {
      await this.call('DescribeDomain', () => this.swf.send(new DescribeDomainCommand({ name: domain })));
    } catch (err) {
      if (errName(err) !== 'UnknownResourceFault') throw err;
      await this.ignoreExists(() =>
        this.call('RegisterDomain', () =>
          this.swf.send(
            new RegisterDomainCommand({ name: domain, workflowExecutionRetentionPeriodInDays: String(this.cfg.retentionDays) }),
          ),
        ),
      );
    }
    await this.ignoreExists(() =>
      this.call('RegisterWorkflowType', () =>
        this.swf.send(
          new RegisterWorkflowTypeCommand({
            domain,
            ...this.cfg.workflowType,
            description: 'One Cloud Transcode job (TranscodeJob)',
            defaultChildPolicy: 'TERMINATE',
            defaultExecutionStartToCloseTimeout: this.cfg.executionTimeout,
            defaultTaskStartToCloseTimeout: this.cfg.decisionTimeout,
          }),
        ),
      ),
    );
    for (const type of [this.cfg.activityType, this.cfg.validateActivityType]) {
      await this.ignoreExists(() =>
        this.call('RegisterActivityType', () =>
          this.swf.send(
            new RegisterActivityTypeCommand({
              domain,
              ...type,
              defaultTaskHeartbeatTimeout: this.cfg.activityTimeouts.heartbeat,
              defaultTaskScheduleToStartTimeout: this.cfg.activityTimeouts.scheduleToStart,
              defaultTaskStartToCloseTimeout: this.cfg.activityTimeouts.startToClose,
              defaultTaskScheduleToCloseTimeout: this.cfg.activityTimeouts.scheduleToClose,
            }),
          ),
        ),
      );
    }
    this.registered = true;
    this.log.info({ domain, workflowType: this.cfg.workflowType, activityType: this.cfg.activityType }, 'SWF domain and types ready');
  }

  private async ignoreExists(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (errName(err) !== 'TypeAlreadyExistsFault' && errName(err) !== 'DomainAlreadyExistsFault') throw err;
    }
  }

  /** Starts the job's execution, or finds it when it already exists (restart, lost status write). */
  async ensureWorkflow(job: TranscodeJob): Promise<WorkflowRef> {
    const existing = job.status?.workflow;
    if (existing?.runId) return existing;
    await this.ensureRegistered();
    const workflowId = workflowIdOf(job);
    try {
      const r = await this.call('StartWorkflowExecution', () =>
        this.swf.send(
          new StartWorkflowExecutionCommand({
            domain: this.cfg.domain,
            workflowId,
            workflowType: this.cfg.workflowType,
            taskList: { name: this.decisionTaskList(job) },
            input: workflowInput(job),
            executionStartToCloseTimeout: this.cfg.executionTimeout,
            taskStartToCloseTimeout: this.cfg.decisionTimeout,
            childPolicy: 'TERMINATE',
            tagList: [truncate(`client:${job.spec.clientRef.name}`, SWF_LIMITS.tag)],
          }),
        ),
      );
      this.log.info({ job: job.metadata.name, workflowId, runId: r.runId }, 'SWF workflow execution started');
      return { workflowId, runId: r.runId! };
    } catch (err) {
      if (errName(err) !== 'WorkflowExecutionAlreadyStartedFault') throw err;
      const runId = await this.findRun(workflowId);
      if (!runId) throw new Error(`SWF says workflow ${workflowId} is already started but it cannot be found`, { cause: err });
      return { workflowId, runId };
    }
  }

  private async findRun(workflowId: string): Promise<string | undefined> {
    const filter = { domain: this.cfg.domain, startTimeFilter: { oldestDate: new Date(0) }, executionFilter: { workflowId } };
    const open = await this.call('ListOpenWorkflowExecutions', () => this.swf.send(new ListOpenWorkflowExecutionsCommand(filter)));
    // Matched by workflowId even though the filter says so: an emulator that ignores executionFilter
    // must not hand this job another job's run (found by the fault-injection suite).
    const mine = (infos: { execution?: { workflowId?: string; runId?: string } }[] | undefined) =>
      infos?.find((i) => i.execution?.workflowId === workflowId)?.execution?.runId;
    const run = mine(open.executionInfos);
    if (run) return run;
    const closed = await this.call('ListClosedWorkflowExecutions', () => this.swf.send(new ListClosedWorkflowExecutionsCommand(filter)));
    return mine(closed.executionInfos);
  }

  /**
   * Brings SWF in line with the stored job (`job.status` as written in the CR). Never throws for SWF
   * trouble: what was done before the trouble is returned as facts, plus a retry delay.
   */
  async sync(job: TranscodeJob): Promise<SwfFacts> {
    const facts: SwfFacts = { tasks: new Map() };
    if (!this.cfg.enabled) return facts;
    const status = job.status ?? {};
    if (status.workflow?.closed) return facts;
    const swfOf = (t: TaskStatus): TaskSwf => facts.tasks.get(t.uuid) ?? t.swf ?? { activityId: t.uuid };
    try {
      const workflow = await this.ensureWorkflow(job);
      this.failures.delete(job.metadata.uid ?? '');
      if (!status.workflow?.runId) facts.workflow = workflow;
      const execution = { workflowId: workflow.workflowId, runId: workflow.runId ?? '' };
      const tasks = status.tasks ?? [];

      // 0. Activities a runner took that we hold no token for: either not started yet (poll below) or
      //    started by a poll whose status write was lost in a crash. The history tells; a lost one can
      //    never be closed by us, so we stop waiting for it (it closes with the execution).
      const unstarted = tasks.filter((t) => {
        const s = swfOf(t);
        return s.scheduled && !s.closed && !s.taskToken && t.state !== TaskState.PENDING && t.state !== TaskState.WAITING_FOR_PARENT_JOB;
      });
      if (unstarted.length && status.phase !== 'Canceled') {
        const { started, closed } = summarize(await this.history(execution));
        for (const t of unstarted) {
          const s = swfOf(t);
          if (closed.has(s.activityId) || started.has(s.activityId)) {
            if (started.has(s.activityId))
              this.log.warn(
                { job: job.metadata.name, task: t.uuid, activityId: s.activityId },
                'SWF activity started but its task token was lost; it stays open until the execution closes',
              );
            facts.tasks.set(t.uuid, { ...s, closed: true });
          }
        }
      }

      // 1. Activities: start the ones a runner took, report progress and outcomes.
      for (const t of tasks) {
        const next = await this.syncActivity(job, t, swfOf(t), status.phase === 'Canceled');
        if (next) facts.tasks.set(t.uuid, next);
      }

      // 2. Cancelled job: terminate (moto has no RequestCancelWorkflowExecution handling).
      if (status.phase === 'Canceled') {
        await this.terminate(execution, 'JOB_CANCELED', status.message ?? 'the job was canceled');
        facts.workflow = { ...workflow, closed: true };
        return facts;
      }

      // 3. Decisions: schedule activities, close the execution when the job is over.
      const toSchedule = tasks.filter((t) => {
        const s = swfOf(t);
        return !s.scheduled && !s.closed && SCHEDULABLE.has(t.state);
      });
      const jobDone = status.phase === 'Succeeded' || status.phase === 'Failed';
      if (toSchedule.length === 0 && !jobDone) return facts;
      const decided = await this.decide(job, execution, tasks, swfOf, jobDone);
      for (const [uuid, swf] of decided.tasks) facts.tasks.set(uuid, swf);
      if (decided.closed) facts.workflow = { ...workflow, closed: true };
      else if (decided.retry) facts.retryMs = this.cfg.pollBackoffMs;
    } catch (err) {
      // Exponential back-off per job (2 s → 5 min): an SWF outage must not turn into a polling storm.
      const n = (this.failures.get(job.metadata.uid ?? '') ?? 0) + 1;
      this.failures.set(job.metadata.uid ?? '', n);
      facts.retryMs = Math.min(300_000, Math.max(this.cfg.pollBackoffMs, 2000) * 2 ** Math.min(n - 1, 8));
      this.log.warn({ job: job.metadata.name, err: errorInfo(err), retryInMs: facts.retryMs }, 'SWF recording failed; will retry');
    }
    return facts;
  }

  private async syncActivity(job: TranscodeJob, t: TaskStatus, current: TaskSwf, jobCanceled: boolean): Promise<TaskSwf | undefined> {
    if (!current.scheduled || current.closed) return undefined;
    let swf = { ...current };
    let changed = false;
    const round = roundOf(t);
    const newRound = t.state === TaskState.PENDING && round > (swf.round ?? 0);
    const abortedByRunner = t.state === TaskState.PENDING && !newRound && swf.taskToken !== undefined;
    const needsStart = (t.state !== TaskState.PENDING && t.state !== TaskState.WAITING_FOR_PARENT_JOB) || newRound;
    if (!swf.taskToken && needsStart) {
      // An unstarted activity of a cancelled job is closed by the termination.
      if (jobCanceled) return undefined;
      const identity = truncate(t.runner?.name ?? 'ct-operator', SWF_LIMITS.identity);
      const r = await this.call('PollForActivityTask', () =>
        this.swf.send(
          new PollForActivityTaskCommand({ domain: this.cfg.domain, taskList: { name: this.activityTaskList(t.uuid) }, identity }),
        ),
      );
      if (!r.taskToken) return undefined; // not visible yet: the caller retries later
      if (r.activityId !== swf.activityId)
        this.log.warn({ task: t.uuid, expected: swf.activityId, got: r.activityId }, 'unexpected activity on the task list');
      swf = { ...swf, taskToken: r.taskToken };
      changed = true;
    }
    if (!swf.taskToken) return changed ? swf : undefined;
    const token = swf.taskToken;
    const log = { job: job.metadata.name, task: t.uuid, activityId: swf.activityId };
    const close = (): TaskSwf => {
      const { taskToken: _drop, ...rest } = swf;
      return { ...rest, closed: true };
    };
    // A new attempt is needed: close this one as failed and let the decider schedule `<uuid>.<n>`.
    const reschedule = (): TaskSwf => {
      const attempt = (swf.attempt ?? 0) + 1;
      return { activityId: activityIdFor(t.uuid, attempt), attempt, round, scheduled: false };
    };
    switch (t.state) {
      case TaskState.COMPLETED:
        await this.closing(() =>
          this.call('RespondActivityTaskCompleted', () =>
            this.swf.send(
              new RespondActivityTaskCompletedCommand({
                taskToken: token,
                result: activityResult(t),
              }),
            ),
          ),
        );
        this.heartbeats.delete(swf.activityId);
        this.log.info(log, 'SWF activity completed');
        return close();
      case TaskState.ERRORED:
      case TaskState.PARENT_ERRORED:
        await this.fail(token, 'TRANSCODE_FAIL', t.error ?? 'task failed');
        this.log.info(log, 'SWF activity failed');
        return close();
      case TaskState.CANCELLED:
      case TaskState.PARENT_CANCELLED:
        try {
          await this.closing(() =>
            this.call('RespondActivityTaskCanceled', () =>
              this.swf.send(
                new RespondActivityTaskCanceledCommand({ taskToken: token, details: truncate(t.error ?? 'canceled', SWF_LIMITS.details) }),
              ),
            ),
          );
        } catch (err) {
          // Emulators without RespondActivityTaskCanceled: the activity still must not stay open.
          this.log.debug({ ...log, err: errorInfo(err) }, 'RespondActivityTaskCanceled refused; reporting the cancel as a failure');
          await this.fail(token, 'JOB_CANCELED', t.error ?? 'canceled');
        }
        return close();
      case TaskState.PENDING:
        if (newRound) {
          const timedOut = (t.timeouts ?? 0) > 0 && t.error?.startsWith('no update from runner');
          await this.fail(token, timedOut ? 'ACTIVITY_TIMEOUT' : 'TRANSCODE_FAIL', t.error ?? 'retry');
          this.log.info({ ...log, round }, 'SWF activity attempt failed; the task is retried');
          return reschedule();
        }
        if (abortedByRunner) {
          await this.fail(token, 'ABORTED', 'the runner gave the task back');
          return reschedule();
        }
        return changed ? swf : undefined;
      case TaskState.PROCESSING:
      case TaskState.COMPLETING: {
        const last = this.heartbeats.get(swf.activityId);
        const now = Date.now();
        if (!last || (now - last.at >= this.cfg.heartbeatIntervalMs && last.progress !== t.progress)) {
          this.heartbeats.set(swf.activityId, { at: now, progress: t.progress });
          try {
            const r = await this.call('RecordActivityTaskHeartbeat', () =>
              this.swf.send(
                new RecordActivityTaskHeartbeatCommand({
                  taskToken: token,
                  details: boundedJson('heartbeat details', { progress: t.progress ?? 0 }, SWF_LIMITS.heartbeatDetails),
                }),
              ),
            );
            if (r.cancelRequested) this.log.info(log, 'SWF asks to cancel this activity (cancel the job or task to act on it)');
          } catch (err) {
            // Closed meanwhile (we are reading a CR version older than our own last write): nothing to report.
            if (errName(err) !== 'UnknownResourceFault') throw err;
          }
        }
        return changed ? swf : undefined;
      }
      default:
        return changed ? swf : undefined;
    }
  }

  private async history(execution: { workflowId: string; runId: string }): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextPageToken: string | undefined;
    do {
      const r = await this.call('GetWorkflowExecutionHistory', () =>
        this.swf.send(
          new GetWorkflowExecutionHistoryCommand({ domain: this.cfg.domain, execution, ...(nextPageToken ? { nextPageToken } : {}) }),
        ),
      );
      events.push(...(r.events ?? []));
      nextPageToken = r.nextPageToken;
    } while (nextPageToken);
    return events;
  }

  private async fail(token: string, reason: string, details: string): Promise<void> {
    await this.closing(() =>
      this.call('RespondActivityTaskFailed', () =>
        this.swf.send(
          new RespondActivityTaskFailedCommand({
            taskToken: token,
            reason: truncate(reason, SWF_LIMITS.reason),
            details: truncate(details, SWF_LIMITS.details),
          }),
        ),
      ),
    );
  }

  /** A close of an activity SWF already closed (an earlier attempt whose status write we do not see yet) is done. */
  private async closing(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (errName(err) !== 'UnknownResourceFault') throw err;
    }
  }

  private async terminate(execution: { workflowId: string; runId: string }, reason: string, details: string): Promise<void> {
    try {
      await this.call('TerminateWorkflowExecution', () =>
        this.swf.send(
          new TerminateWorkflowExecutionCommand({
            domain: this.cfg.domain,
            ...execution,
            reason: truncate(reason, SWF_LIMITS.reason),
            details: truncate(details, SWF_LIMITS.details),
            childPolicy: 'TERMINATE',
          }),
        ),
      );
    } catch (err) {
      // Already closed (an earlier attempt whose status write was lost): nothing left to do.
      if (errName(err) !== 'UnknownResourceFault') throw err;
    }
  }

  private async decide(
    job: TranscodeJob,
    execution: { workflowId: string; runId: string },
    tasks: TaskStatus[],
    swfOf: (t: TaskStatus) => TaskSwf,
    jobDone: boolean,
  ): Promise<{ tasks: Map<string, TaskSwf>; closed: boolean; retry: boolean }> {
    const out = { tasks: new Map<string, TaskSwf>(), closed: false, retry: false };
    const taskList = this.decisionTaskList(job);
    const first = await this.call('PollForDecisionTask', () =>
      this.swf.send(new PollForDecisionTaskCommand({ domain: this.cfg.domain, taskList: { name: taskList }, identity: 'ct-operator' })),
    );
    if (!first.taskToken) {
      // Nothing to decide on. If we are waiting for a decision that SWF will not schedule by itself
      // (e.g. the previous one was taken by an operator that crashed), a signal makes one.
      const key = execution.workflowId;
      const last = this.signals.get(key) ?? 0;
      if (Date.now() - last > 15_000) {
        this.signals.set(key, Date.now());
        await this.call('SignalWorkflowExecution', () =>
          this.swf.send(new SignalWorkflowExecutionCommand({ domain: this.cfg.domain, ...execution, signalName: 'ct-reconcile' })),
        ).catch((err: unknown) => this.log.debug({ err: errorInfo(err) }, 'signal failed'));
      }
      out.retry = true;
      return out;
    }
    const events: HistoryEvent[] = [...(first.events ?? [])];
    let page = first.nextPageToken;
    while (page) {
      const r = await this.call('PollForDecisionTask', () =>
        this.swf.send(new PollForDecisionTaskCommand({ domain: this.cfg.domain, taskList: { name: taskList }, nextPageToken: page })),
      );
      events.push(...(r.events ?? []));
      page = r.nextPageToken;
    }
    // History → which activity ids were scheduled, and which of them are still open.
    const scheduled = new Map<number, string>();
    const closedIds = new Set<string>();
    for (const e of events) {
      if (e.eventType === 'ActivityTaskScheduled') scheduled.set(e.eventId!, e.activityTaskScheduledEventAttributes!.activityId!);
    }
    for (const e of events) {
      const id =
        e.activityTaskCompletedEventAttributes?.scheduledEventId ??
        e.activityTaskFailedEventAttributes?.scheduledEventId ??
        e.activityTaskTimedOutEventAttributes?.scheduledEventId ??
        e.activityTaskCanceledEventAttributes?.scheduledEventId;
      if (id !== undefined && scheduled.has(id)) closedIds.add(scheduled.get(id)!);
    }
    const inHistory = new Set(scheduled.values());
    // Activities we gave up on (lost task token) do not hold the execution open.
    const givenUp = new Set(
      tasks
        .map(swfOf)
        .filter((s) => s.closed)
        .map((s) => s.activityId),
    );
    const open = [...inHistory].filter((id) => !closedIds.has(id) && !givenUp.has(id));

    const decisions: Decision[] = [];
    for (const t of tasks) {
      const s = swfOf(t);
      if (s.scheduled || s.closed || !SCHEDULABLE.has(t.state)) continue;
      if (!inHistory.has(s.activityId)) {
        decisions.push({
          decisionType: 'ScheduleActivityTask',
          scheduleActivityTaskDecisionAttributes: {
            activityType: this.cfg.activityType,
            activityId: s.activityId,
            control: JSON.stringify({ task: t.uuid }),
            input: activityInput(job, t),
            taskList: { name: this.activityTaskList(t.uuid) },
            heartbeatTimeout: this.cfg.activityTimeouts.heartbeat,
            scheduleToStartTimeout: this.cfg.activityTimeouts.scheduleToStart,
            startToCloseTimeout: this.cfg.activityTimeouts.startToClose,
            scheduleToCloseTimeout: this.cfg.activityTimeouts.scheduleToClose,
          },
        });
      }
      // Already in the history (a status write lost before a restart): just remember it.
      out.tasks.set(t.uuid, { ...s, scheduled: true, round: s.round ?? roundOf(t) });
    }
    if (jobDone && decisions.length === 0 && open.length === 0) {
      const status = job.status ?? {};
      if (status.phase === 'Succeeded') {
        decisions.push({
          decisionType: 'CompleteWorkflowExecution',
          completeWorkflowExecutionDecisionAttributes: {
            result: workflowResult(job, status),
          },
        });
      } else {
        decisions.push({
          decisionType: 'FailWorkflowExecution',
          failWorkflowExecutionDecisionAttributes: {
            reason: truncate(status.reason ?? 'JOB_FAILED', SWF_LIMITS.reason),
            details: truncate(status.message ?? '', SWF_LIMITS.details),
          },
        });
      }
      out.closed = true;
    } else if (jobDone) {
      // Activities still open: the per-task sync closes them, then a new decision task comes.
      out.retry = true;
    }
    await this.call('RespondDecisionTaskCompleted', () =>
      this.swf.send(
        new RespondDecisionTaskCompletedCommand({ taskToken: first.taskToken!, decisions, executionContext: job.status?.phase ?? '' }),
      ),
    );
    if (decisions.length) this.log.info({ job: job.metadata.name, decisions: decisions.map((d) => d.decisionType) }, 'SWF decisions');
    return out;
  }
}
