// Records every TranscodeJob as a real SWF workflow execution (docs/ct-protocol.md), with the operator
// as the decider:
//   - one execution per job, workflowId `ct-<job uid>` (idempotent start), decisions on a task list of
//     its own so the operator polls exactly the job it is reconciling (execution.ts, decider.ts);
//   - one activity per runner task attempt on the task's own task list, started with the runner's name
//     as identity, heartbeats for progress, outcomes reported (activities.ts);
//   - the job's end → CompleteWorkflowExecution / FailWorkflowExecution, cancel → Terminate.
// Stateless: what to do is derived from the stored CR and the execution history (history.ts, parsed
// once per read), never from memory (the heartbeat throttle and signal back-off excepted, which only
// save calls). The results are returned as facts the job controller writes in its single status write.
// This class is the façade the job controller uses: ensureRegistered, ensureWorkflow, sync.
import type { SWFClient } from '@aws-sdk/client-swf';
import type { Logger } from '../../lib/log.js';
import { errorInfo } from '../../lib/log.js';
import type { TaskStatus, TranscodeJob } from '../../lib/schema/transcode-job.js';
import { Activities, lostStarts, needsHistory } from './activities.js';
import { SwfApi } from './api.js';
import type { SwfConfig } from './config.js';
import { Decider, hasWork } from './decider.js';
import { startExecution, terminateExecution } from './execution.js';
import type { SwfFacts, TaskSwf, WorkflowRef } from './facts.js';
import { executionHistory } from './history.js';
import { registerDomainAndTypes } from './registration.js';

export { applySwfFacts, workflowIdOf, roundOf, activityIdFor } from './facts.js';
export type { SwfFacts, TaskSwf, WorkflowRef } from './facts.js';
export { summarize } from './history.js';

export class SwfRecorder {
  private readonly api: SwfApi;
  private readonly activities: Activities;
  private readonly decider: Decider;
  private readonly failures = new Map<string, number>();
  private registered = false;

  constructor(
    readonly swf: SWFClient,
    readonly cfg: SwfConfig,
    private readonly log: Logger,
  ) {
    this.api = new SwfApi(swf, cfg, log);
    this.activities = new Activities(this.api);
    this.decider = new Decider(this.api);
  }

  decisionTaskList(job: TranscodeJob): string {
    return this.api.decisionTaskList(job);
  }

  activityTaskList(uuid: string): string {
    return this.api.activityTaskList(uuid);
  }

  /** Registers domain, workflow type and activity types when missing (safe to repeat). */
  async ensureRegistered(): Promise<void> {
    if (this.registered || !this.cfg.enabled) return;
    await registerDomainAndTypes(this.api);
    this.registered = true;
  }

  /** Starts the job's execution, or finds it when it already exists (restart, lost status write). */
  async ensureWorkflow(job: TranscodeJob): Promise<WorkflowRef> {
    const existing = job.status?.workflow;
    if (existing?.runId) return existing;
    await this.ensureRegistered();
    return startExecution(this.api, job);
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
    const canceled = status.phase === 'Canceled';
    try {
      const workflow = await this.ensureWorkflow(job);
      this.failures.delete(job.metadata.uid ?? '');
      if (!status.workflow?.runId) facts.workflow = workflow;
      const execution = { workflowId: workflow.workflowId, runId: workflow.runId ?? '' };
      const tasks = status.tasks ?? [];

      // 0. Started activities whose task token a lost status write took with it (activities.ts).
      const unstarted = tasks.filter((t) => needsHistory(t, swfOf(t))).map((task) => ({ task, swf: swfOf(task) }));
      if (unstarted.length && !canceled) {
        for (const [uuid, swf] of lostStarts(this.api, job, unstarted, await executionHistory(this.api, execution)))
          facts.tasks.set(uuid, swf);
      }

      // 1. Activities: start the ones a runner took, report progress and outcomes.
      for (const t of tasks) {
        const next = await this.activities.sync(job, t, swfOf(t), canceled);
        if (next) facts.tasks.set(t.uuid, next);
      }

      // 2. Cancelled job: terminate (moto has no RequestCancelWorkflowExecution handling).
      if (canceled) {
        await terminateExecution(this.api, execution, 'JOB_CANCELED', status.message ?? 'the job was canceled');
        facts.workflow = { ...workflow, closed: true };
        return facts;
      }

      // 3. Decisions: schedule activities, close the execution when the job is over.
      if (!hasWork(job, tasks, swfOf)) return facts;
      const decided = await this.decider.decide(job, execution, tasks, swfOf);
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
}
