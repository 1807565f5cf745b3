// One SWF workflow execution per job: started idempotently (workflowId `ct-<job uid>`), found again
// after a restart or a lost status write, terminated when the job is canceled.
import {
  ListClosedWorkflowExecutionsCommand,
  ListOpenWorkflowExecutionsCommand,
  StartWorkflowExecutionCommand,
  TerminateWorkflowExecutionCommand,
} from '@aws-sdk/client-swf';
import { SWF_LIMITS, truncate } from '../../lib/aws/limits.js';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';
import { errName, unless, type SwfApi } from './api.js';
import { workflowIdOf, type Execution, type WorkflowRef } from './facts.js';
import { workflowInput } from './payloads.js';

/** Starts the job's execution, or finds it when it already exists (restart, lost status write). */
export async function startExecution(api: SwfApi, job: TranscodeJob): Promise<WorkflowRef> {
  const { cfg } = api;
  const workflowId = workflowIdOf(job);
  try {
    const r = await api.call('StartWorkflowExecution', (swf) =>
      swf.send(
        new StartWorkflowExecutionCommand({
          domain: cfg.domain,
          workflowId,
          workflowType: cfg.workflowType,
          taskList: { name: api.decisionTaskList(job) },
          input: workflowInput(job),
          executionStartToCloseTimeout: cfg.executionTimeout,
          taskStartToCloseTimeout: cfg.decisionTimeout,
          childPolicy: 'TERMINATE',
          tagList: [truncate(`client:${job.spec.clientRef.name}`, SWF_LIMITS.tag)],
        }),
      ),
    );
    api.log.info({ job: job.metadata.name, workflowId, runId: r.runId }, 'SWF workflow execution started');
    return { workflowId, runId: r.runId! };
  } catch (err) {
    if (errName(err) !== 'WorkflowExecutionAlreadyStartedFault') throw err;
    const runId = await findRun(api, workflowId);
    if (!runId) throw new Error(`SWF says workflow ${workflowId} is already started but it cannot be found`, { cause: err });
    return { workflowId, runId };
  }
}

async function findRun(api: SwfApi, workflowId: string): Promise<string | undefined> {
  const filter = { domain: api.cfg.domain, startTimeFilter: { oldestDate: new Date(0) }, executionFilter: { workflowId } };
  const open = await api.call('ListOpenWorkflowExecutions', (swf) => swf.send(new ListOpenWorkflowExecutionsCommand(filter)));
  // Matched by workflowId even though the filter says so: an emulator that ignores executionFilter
  // must not hand this job another job's run (found by the fault-injection suite).
  const mine = (infos: { execution?: { workflowId?: string; runId?: string } }[] | undefined) =>
    infos?.find((i) => i.execution?.workflowId === workflowId)?.execution?.runId;
  const run = mine(open.executionInfos);
  if (run) return run;
  const closed = await api.call('ListClosedWorkflowExecutions', (swf) => swf.send(new ListClosedWorkflowExecutionsCommand(filter)));
  return mine(closed.executionInfos);
}

/** Terminates the execution; one already closed (an earlier attempt whose status write was lost) is done. */
export async function terminateExecution(api: SwfApi, execution: Execution, reason: string, details: string): Promise<void> {
  await unless(['UnknownResourceFault'], () =>
    api.call('TerminateWorkflowExecution', (swf) =>
      swf.send(
        new TerminateWorkflowExecutionCommand({
          domain: api.cfg.domain,
          ...execution,
          reason: truncate(reason, SWF_LIMITS.reason),
          details: truncate(details, SWF_LIMITS.details),
          childPolicy: 'TERMINATE',
        }),
      ),
    ),
  );
}
