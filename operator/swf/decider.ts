// The operator as the job's SWF decider: schedules an activity for each task attempt that needs one and
// closes the execution (Complete/Fail) when the job is over and no activity is open. What to decide is
// a pure function of the job and the history (planDecisions); Decider does the polling and responding.
import { RespondDecisionTaskCompletedCommand, SignalWorkflowExecutionCommand, type Decision } from '@aws-sdk/client-swf';
import { SWF_LIMITS, truncate } from '../../lib/aws/limits.js';
import { errorInfo } from '../../lib/log.js';
import type { TaskStatus, TranscodeJob } from '../../lib/schema/transcode-job.js';
import type { SwfApi } from './api.js';
import type { SwfConfig } from './config.js';
import { SCHEDULABLE, roundOf, type Execution, type SwfOf, type TaskSwf } from './facts.js';
import { pollDecisionTask, type HistorySummary } from './history.js';
import { activityInput, workflowResult } from './payloads.js';

export interface DecisionPlan {
  decisions: Decision[];
  /** New swf state of tasks now scheduled (or found scheduled in the history). */
  tasks: Map<string, TaskSwf>;
  /** The plan closes the execution. */
  closed: boolean;
  /** The job is over but activities are still open: decide again later. */
  retry: boolean;
}

/** True when a decision task is worth polling for: something to schedule, or a job to close. */
export function hasWork(job: TranscodeJob, tasks: readonly TaskStatus[], swfOf: SwfOf): boolean {
  const phase = job.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  return tasks.some((t) => {
    const s = swfOf(t);
    return !s.scheduled && !s.closed && SCHEDULABLE.has(t.state);
  });
}

export function planDecisions(
  cfg: SwfConfig,
  activityTaskList: (uuid: string) => string,
  job: TranscodeJob,
  tasks: readonly TaskStatus[],
  swfOf: SwfOf,
  history: HistorySummary,
): DecisionPlan {
  const status = job.status ?? {};
  const jobDone = status.phase === 'Succeeded' || status.phase === 'Failed';
  const out: DecisionPlan = { decisions: [], tasks: new Map(), closed: false, retry: false };
  // Activities we gave up on (lost task token) do not hold the execution open.
  const givenUp = new Set(
    tasks
      .map(swfOf)
      .filter((s) => s.closed)
      .map((s) => s.activityId),
  );
  const open = [...history.scheduled].filter((id) => !history.closed.has(id) && !givenUp.has(id));
  for (const t of tasks) {
    const s = swfOf(t);
    if (s.scheduled || s.closed || !SCHEDULABLE.has(t.state)) continue;
    if (!history.scheduled.has(s.activityId)) {
      out.decisions.push({
        decisionType: 'ScheduleActivityTask',
        scheduleActivityTaskDecisionAttributes: {
          activityType: cfg.activityType,
          activityId: s.activityId,
          control: JSON.stringify({ task: t.uuid }),
          input: activityInput(job, t),
          taskList: { name: activityTaskList(t.uuid) },
          heartbeatTimeout: cfg.activityTimeouts.heartbeat,
          scheduleToStartTimeout: cfg.activityTimeouts.scheduleToStart,
          startToCloseTimeout: cfg.activityTimeouts.startToClose,
          scheduleToCloseTimeout: cfg.activityTimeouts.scheduleToClose,
        },
      });
    }
    // Already in the history (a status write lost before a restart): just remember it.
    out.tasks.set(t.uuid, { ...s, scheduled: true, round: s.round ?? roundOf(t) });
  }
  if (jobDone && out.decisions.length === 0 && open.length === 0) {
    out.decisions.push(
      status.phase === 'Succeeded'
        ? {
            decisionType: 'CompleteWorkflowExecution',
            completeWorkflowExecutionDecisionAttributes: { result: workflowResult(job, status) },
          }
        : {
            decisionType: 'FailWorkflowExecution',
            failWorkflowExecutionDecisionAttributes: {
              reason: truncate(status.reason ?? 'JOB_FAILED', SWF_LIMITS.reason),
              details: truncate(status.message ?? '', SWF_LIMITS.details),
            },
          },
    );
    out.closed = true;
  } else if (jobDone) {
    // Activities still open: the per-task sync closes them, then a new decision task comes.
    out.retry = true;
  }
  return out;
}

export class Decider {
  /** Last signal per execution: a back-off that only saves calls. */
  private readonly signals = new Map<string, number>();

  constructor(private readonly api: SwfApi) {}

  async decide(job: TranscodeJob, execution: Execution, tasks: readonly TaskStatus[], swfOf: SwfOf): Promise<DecisionPlan> {
    const task = await pollDecisionTask(this.api, this.api.decisionTaskList(job));
    if (!task) {
      await this.nudge(execution);
      return { decisions: [], tasks: new Map(), closed: false, retry: true };
    }
    const plan = planDecisions(this.api.cfg, (uuid) => this.api.activityTaskList(uuid), job, tasks, swfOf, task.history);
    await this.api.call('RespondDecisionTaskCompleted', (swf) =>
      swf.send(
        new RespondDecisionTaskCompletedCommand({
          taskToken: task.taskToken,
          decisions: plan.decisions,
          executionContext: job.status?.phase ?? '',
        }),
      ),
    );
    if (plan.decisions.length)
      this.api.log.info({ job: job.metadata.name, decisions: plan.decisions.map((d) => d.decisionType) }, 'SWF decisions');
    return plan;
  }

  /**
   * Nothing to decide on. If we are waiting for a decision that SWF will not schedule by itself (e.g.
   * the previous one was taken by an operator that crashed), a signal makes one.
   */
  private async nudge(execution: Execution): Promise<void> {
    const key = execution.workflowId;
    if (Date.now() - (this.signals.get(key) ?? 0) <= 15_000) return;
    this.signals.set(key, Date.now());
    await this.api
      .call('SignalWorkflowExecution', (swf) =>
        swf.send(new SignalWorkflowExecutionCommand({ domain: this.api.cfg.domain, ...execution, signalName: 'ct-reconcile' })),
      )
      .catch((err: unknown) => this.api.log.debug({ err: errorInfo(err) }, 'signal failed'));
  }
}
