// Registration of the SWF domain, the workflow type and the activity types (safe to repeat; done at
// start-up and lazily before the first execution).
import {
  DescribeDomainCommand,
  RegisterActivityTypeCommand,
  RegisterDomainCommand,
  RegisterWorkflowTypeCommand,
} from '@aws-sdk/client-swf';
import { errName, unless, type SwfApi } from './api.js';

const EXISTS = ['TypeAlreadyExistsFault', 'DomainAlreadyExistsFault'];

export async function registerDomainAndTypes(api: SwfApi): Promise<void> {
  const { cfg } = api;
  const { domain } = cfg;
  try {
    await api.call('DescribeDomain', (swf) => swf.send(new DescribeDomainCommand({ name: domain })));
  } catch (err) {
    if (errName(err) !== 'UnknownResourceFault') throw err;
    await unless(EXISTS, () =>
      api.call('RegisterDomain', (swf) =>
        swf.send(new RegisterDomainCommand({ name: domain, workflowExecutionRetentionPeriodInDays: String(cfg.retentionDays) })),
      ),
    );
  }
  await unless(EXISTS, () =>
    api.call('RegisterWorkflowType', (swf) =>
      swf.send(
        new RegisterWorkflowTypeCommand({
          domain,
          ...cfg.workflowType,
          description: 'One Cloud Transcode job (TranscodeJob)',
          defaultChildPolicy: 'TERMINATE',
          defaultExecutionStartToCloseTimeout: cfg.executionTimeout,
          defaultTaskStartToCloseTimeout: cfg.decisionTimeout,
        }),
      ),
    ),
  );
  for (const type of [cfg.activityType, cfg.validateActivityType]) {
    await unless(EXISTS, () =>
      api.call('RegisterActivityType', (swf) =>
        swf.send(
          new RegisterActivityTypeCommand({
            domain,
            ...type,
            defaultTaskHeartbeatTimeout: cfg.activityTimeouts.heartbeat,
            defaultTaskScheduleToStartTimeout: cfg.activityTimeouts.scheduleToStart,
            defaultTaskStartToCloseTimeout: cfg.activityTimeouts.startToClose,
            defaultTaskScheduleToCloseTimeout: cfg.activityTimeouts.scheduleToClose,
          }),
        ),
      ),
    );
  }
  api.log.info({ domain, workflowType: cfg.workflowType, activityType: cfg.activityType }, 'SWF domain and types ready');
}
