// Handles one client command (already received from that client's input queue). Effects are made
// durable in the TranscodeJob CR before the caller deletes the message; problems the client can fix are
// answered with COMMAND_REJECTED; anything else (apiserver down, forbidden, output queue gone) throws so
// the message is retried and, after maxReceiveCount receives, lands in the client's DLQ.
import { isDeepStrictEqual } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../lib/log.js';
import { describeApiError, statusOf } from '../../lib/kube/client.js';
import { crs, type CrClient } from '../../lib/kube/crs.js';
import { objectKey } from '../../lib/kube/object.js';
import { LABEL_CLIENT } from '../../lib/kube/resources.js';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';
import { jobName, transcodeJobBody } from '../../lib/ct/naming.js';
import { parseCommand } from '../../lib/ct/parse.js';
import { isTerminal } from '../../lib/peertube/task-state.js';
import { admissionProblem } from '../../lib/jobs/status-limits.js';
import {
  ctMessage,
  rejection,
  type Command,
  type CtMessage,
  type JobListFilter,
  type RejectReason,
  type StartJobCommand,
} from '../../lib/ct/messages.js';
import { activitySummary, isFinishedPhase, jobSummary, outputReports, workflowOf } from '../../lib/ct/report.js';
import type { TranscodeClient } from '../../lib/schema/transcode-client.js';
import { accessRefusals, checkJobAccess, entitlementsOf } from '../../lib/ct/bucket-access.js';
import { validateActivityId } from '../../lib/ct/events.js';
import { allActivitySummaries } from '../../lib/ct/validate-activity.js';
import type { EventRecorder } from '../runtime/events.js';
import type { CacheReader } from '../runtime/index.js';
import { recordArea, type JobRecords } from '../retention/records.js';
import { listJobs, type JobListPage, type RecordedJobs } from './job-list.js';
import type { SendToClient } from './output.js';

/** The client a message belongs to: the owner of the queue it came from, never anything in the message. */
export interface ClientTarget {
  namespace: string;
  name: string;
  inputUrl: string;
  outputUrl: string;
}

export interface HandleResult {
  outcome: 'created' | 'duplicate' | 'replied' | 'rejected';
  reply?: CtMessage;
}

class Rejected extends Error {
  constructor(
    readonly reason: RejectReason,
    details: string,
    /** The job the command is about, when there is one (its workflow goes into the reply). */
    readonly job?: TranscodeJob,
    readonly errors?: string[],
  ) {
    super(details);
  }
}

export interface CommandHandlerOptions {
  /** TranscodeClients, for the bucket entitlements of START_JOB (the job controller checks again). */
  clients?: CacheReader<TranscodeClient>;
  /** Kubernetes Events (on the TranscodeClient) for refused bucket access. */
  events?: EventRecorder;
  /** Job records of jobs deleted after their TTL (operator/retention/): commands about them still answer. */
  records?: JobRecords;
}

export class CommandHandler {
  private readonly jobApi: CrClient<TranscodeJob>;

  constructor(
    kc: KubeConfig,
    private readonly jobs: CacheReader<TranscodeJob>,
    private readonly send: SendToClient,
    private readonly log: Logger,
    /** Called after a START_JOB created its job, before the message is deleted (fault injection in tests). */
    private readonly afterCreate: () => void = () => {},
    private readonly opts: CommandHandlerOptions = {},
  ) {
    this.jobApi = crs(kc).jobs;
  }

  async handle(client: ClientTarget, body: string, messageId: string | undefined): Promise<HandleResult> {
    const parsed = parseCommand(body);
    if (!parsed.ok) {
      const reply = rejection(parsed.reason, parsed.details, {
        ...(parsed.jobId !== undefined ? { jobId: parsed.jobId } : {}),
        ...(parsed.command !== undefined ? { command: parsed.command } : {}),
        ...(parsed.errors ? { errors: parsed.errors } : {}),
        ...(messageId ? { messageId } : {}),
      });
      return this.reply(client, reply, 'rejected');
    }
    const cmd = parsed.command;
    try {
      return await this.dispatch(client, cmd);
    } catch (err) {
      if (!(err instanceof Rejected)) throw err;
      const reply = rejection(err.reason, err.message, {
        command: cmd.type,
        ...(cmd.job_id ? { jobId: cmd.job_id } : {}),
        ...(messageId ? { messageId } : {}),
        ...(err.job ? { workflow: workflowOf(err.job) } : {}),
        ...(err.errors ? { errors: err.errors } : {}),
      });
      return this.reply(client, reply, 'rejected');
    }
  }

  private async reply(client: ClientTarget, message: CtMessage, outcome: HandleResult['outcome']): Promise<HandleResult> {
    await this.send(client.outputUrl, message);
    this.log.info(
      { client: `${client.namespace}/${client.name}`, type: message.type, job_id: message.job_id, ...replyLogFields(message) },
      'replied',
    );
    return { outcome, reply: message };
  }

  private async dispatch(client: ClientTarget, cmd: Command): Promise<HandleResult> {
    switch (cmd.type) {
      case 'START_JOB':
        return this.startJob(client, cmd);
      case 'CANCEL_JOB': {
        const job = await this.findJob(client, cmd.job_id);
        if (isFinishedPhase(job.status?.phase))
          throw new Rejected('JOB_ALREADY_FINISHED', `job ${cmd.job_id} already ended (${job.status?.phase})`, job);
        if (!job.spec.cancel) await this.patchSpec(job, { cancel: true });
        return this.reply(client, ctMessage('JOB_CANCEL_REQUESTED', cmd.job_id, optionalWorkflow(job)), 'replied');
      }
      case 'CANCEL_ACTIVITY': {
        const job = await this.findJob(client, cmd.job_id);
        const id = cmd.data.activityId;
        const task = job.status?.tasks?.find((t) => t.uuid === id);
        if (!task) {
          if (id === validateActivityId(job))
            throw new Rejected('ACTIVITY_ALREADY_FINISHED', `activity ${id} (the validation) cannot be canceled on its own`, job);
          throw new Rejected('UNKNOWN_ACTIVITY', `job ${cmd.job_id} has no activity ${id}`, job);
        }
        if (isTerminal(task.state))
          throw new Rejected('ACTIVITY_ALREADY_FINISHED', `activity ${id} already ended (${activitySummary(task).state})`, job);
        await this.appendCancelTask(job, id);
        return this.reply(
          client,
          ctMessage('ACTIVITY_CANCEL_REQUESTED', cmd.job_id, { ...optionalWorkflow(job), activity: { activityId: id } }),
          'replied',
        );
      }
      case 'GET_JOB_STATUS': {
        const job = await this.findJob(client, cmd.job_id);
        return this.reply(
          client,
          ctMessage('JOB_STATUS', cmd.job_id, {
            ...optionalWorkflow(job),
            job: jobSummary(job),
            outputs: outputReports(job),
            activities: allActivitySummaries(job),
          }),
          'replied',
        );
      }
      case 'GET_ACTIVITY_LIST': {
        const job = await this.findJob(client, cmd.job_id);
        return this.reply(
          client,
          ctMessage('ACTIVITY_LIST', cmd.job_id, { ...optionalWorkflow(job), activities: allActivitySummaries(job) }),
          'replied',
        );
      }
      case 'GET_ACTIVITY_STATUS': {
        const job = await this.findJob(client, cmd.job_id);
        const activity = allActivitySummaries(job).find((a) => a.activityId === cmd.data.activityId);
        if (!activity) throw new Rejected('UNKNOWN_ACTIVITY', `job ${cmd.job_id} has no activity ${cmd.data.activityId}`, job);
        return this.reply(client, ctMessage('ACTIVITY_STATUS', cmd.job_id, { ...optionalWorkflow(job), activity }), 'replied');
      }
      case 'GET_JOB_LIST':
        return this.reply(client, ctMessage('JOB_LIST', cmd.job_id, await this.listJobs(client, cmd.data ?? {})), 'replied');
    }
  }

  private async startJob(client: ClientTarget, cmd: StartJobCommand): Promise<HandleResult> {
    await this.checkAccess(client, cmd);
    const name = jobName(client.name, cmd.job_id);
    const body = transcodeJobBody({
      namespace: client.namespace,
      clientName: client.name,
      jobId: cmd.job_id,
      job: cmd.data,
      source: 'sqs',
    });
    const log = this.log.child({ client: `${client.namespace}/${client.name}`, job_id: cmd.job_id, job: name });
    const tooLarge = admissionProblem(cmd.data);
    if (tooLarge) throw new Rejected('JOB_TOO_LARGE', tooLarge);
    // A job deleted after its TTL is answered from its record like a live one: re-sending its
    // START_JOB must not run it again.
    const recorded = this.jobs.get(objectKey(client.namespace, name)) ? undefined : await this.recordedJob(client, cmd.job_id);
    if (recorded) return this.duplicateOf(recorded, cmd, log, 'record');
    try {
      await this.jobApi.create(body);
    } catch (err) {
      const code = statusOf(err);
      if (code === 409) {
        // Redelivery, or the client sent it again: the job exists already. The same description is a
        // duplicate (nothing new); a different one reuses an id that is taken.
        const existing = await this.getJob(client.namespace, name);
        if (existing && existing.spec.clientRef.name === client.name && existing.spec.jobId === cmd.job_id)
          return this.duplicateOf(existing, cmd, log, 'cluster');
        if (!existing) throw new Error(`creating job ${client.namespace}/${name} conflicted but the job cannot be read`, { cause: err });
        throw new Rejected('JOB_ID_IN_USE', `job_id ${cmd.job_id} cannot be used (name ${name} is taken)`);
      }
      // The CRD's own validation (CEL rules) refused what ajv let through: the client's description is wrong.
      if (code === 422 || code === 400) throw new Rejected('FORMAT_INVALID', `the job description was refused: ${describeApiError(err)}`);
      throw new Error(`creating job ${client.namespace}/${name} failed: ${describeApiError(err)}`, { cause: err });
    }
    log.info('job created from START_JOB');
    this.afterCreate();
    return { outcome: 'created' };
  }

  /** The same description is a duplicate (nothing new, no reply); a different one reuses an id that is taken. */
  private duplicateOf(existing: TranscodeJob, cmd: StartJobCommand, log: Logger, from: 'cluster' | 'record'): HandleResult {
    if (!isDeepStrictEqual(existing.spec.job, cmd.data))
      throw new Rejected('JOB_ID_IN_USE', `job_id ${cmd.job_id} is already used by a job with a different description; pick a new job_id`);
    log.info({ from }, 'duplicate START_JOB: the job exists already');
    return { outcome: 'duplicate' };
  }

  /** Where this client's job records are (undefined: no records to consult). */
  private recordsOf(client: ClientTarget): RecordedJobs | undefined {
    const tc = this.opts.clients?.get(objectKey(client.namespace, client.name));
    const area = tc && recordArea(tc);
    if (!this.opts.records || !area) return undefined;
    return { records: this.opts.records, area, client: { namespace: client.namespace, name: client.name } };
  }

  /** The recorded copy of a job deleted after its TTL, if there is one. */
  private async recordedJob(client: ClientTarget, jobId: string): Promise<TranscodeJob | undefined> {
    const r = this.recordsOf(client);
    return r ? r.records.read(r.area, r.client, jobId) : undefined;
  }

  /** Buckets and keys the client is not entitled to: refused before anything exists or is read. */
  private async checkAccess(client: ClientTarget, cmd: StartJobCommand): Promise<void> {
    const tc = this.opts.clients?.get(objectKey(client.namespace, client.name));
    const who = tc ? entitlementsOf(tc) : undefined;
    if (!tc || !who) return; // the job controller decides (it waits for the client's buckets)
    const refused = accessRefusals(checkJobAccess(who, cmd.data));
    if (refused.length === 0) return;
    const reason = refused.some((r) => r.reason === 'BUCKET_NOT_ALLOWED') ? 'BUCKET_NOT_ALLOWED' : 'KEY_NOT_ALLOWED';
    const details = refused.map((r) => r.details).join('; ');
    this.log.warn(
      { client: `${client.namespace}/${client.name}`, job_id: cmd.job_id, reason, details },
      'START_JOB refused: bucket access',
    );
    await this.opts.events?.record(tc, 'Warning', reason, `START_JOB ${cmd.job_id} refused: ${details}`);
    throw new Rejected(
      reason,
      details,
      undefined,
      refused.map((r) => r.details),
    );
  }

  /** The client's job with this job_id (cache first, then the apiserver so a just-created job is found). */
  private async findJob(client: ClientTarget, jobId: string): Promise<TranscodeJob> {
    const name = jobName(client.name, jobId);
    const job =
      this.jobs.get(objectKey(client.namespace, name)) ??
      (await this.getJob(client.namespace, name)) ??
      (await this.recordedJob(client, jobId));
    // Names derive from the client, so another client's job_id never resolves here; the check guards
    // against hand-made objects that reuse a name.
    if (!job || job.spec.clientRef.name !== client.name || job.spec.jobId !== jobId) {
      throw new Rejected('UNKNOWN_JOB', `no job with job_id ${jobId} for this client`);
    }
    return job;
  }

  private async getJob(namespace: string, name: string): Promise<TranscodeJob | undefined> {
    try {
      return await this.jobApi.find(namespace, name);
    } catch (err) {
      throw new Error(`reading job ${namespace}/${name} failed: ${describeApiError(err)}`, { cause: err });
    }
  }

  private async patchSpec(job: TranscodeJob, spec: Record<string, unknown>, resourceVersion?: string): Promise<void> {
    const { namespace, name } = job.metadata as { namespace: string; name: string };
    await this.jobApi.patch(namespace, name, { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), spec });
  }

  /** Merge patches replace lists, so the append is guarded by resourceVersion and retried on conflict. */
  private async appendCancelTask(job: TranscodeJob, uuid: string): Promise<void> {
    const { namespace, name } = job.metadata as { namespace: string; name: string };
    for (let attempt = 1; attempt <= 5; attempt++) {
      const fresh = await this.getJob(namespace, name);
      if (!fresh) throw new Rejected('UNKNOWN_JOB', `job ${job.spec.jobId} was deleted`);
      const list = fresh.spec.cancelTasks ?? [];
      if (list.includes(uuid)) return;
      try {
        await this.patchSpec(fresh, { cancelTasks: [...list, uuid] }, fresh.metadata.resourceVersion);
        return;
      } catch (err) {
        if (statusOf(err) !== 409) throw new Error(`patching job ${namespace}/${name} failed: ${describeApiError(err)}`, { cause: err });
      }
    }
    throw new Error(`patching job ${namespace}/${name}: still conflicting after 5 attempts`);
  }

  private listJobs(client: ClientTarget, filter: JobListFilter): Promise<JobListPage> {
    const live = this.jobs.byLabel(LABEL_CLIENT, client.name, client.namespace).filter((j) => j.spec.clientRef.name === client.name);
    const after = filter.next_token !== undefined ? decodeToken(filter.next_token) : undefined;
    return listJobs(live, this.recordsOf(client), filter, after);
  }
}

/** Replies about a job carry its data.workflow like every G1 message (the same ids its own messages use). */
function optionalWorkflow(job: TranscodeJob): { workflow: ReturnType<typeof workflowOf> } {
  return { workflow: workflowOf(job) };
}

function decodeToken(token: string): string {
  const order = Buffer.from(token, 'base64url').toString('utf8');
  if (!order.includes('\0')) throw new Rejected('FORMAT_INVALID', '/data/next_token: is not a token this stack handed out');
  return order;
}

function replyLogFields(m: CtMessage): Record<string, unknown> {
  if (m.type !== 'COMMAND_REJECTED') return {};
  const d = m.data as CtMessage<'COMMAND_REJECTED'>['data'];
  return { reason: d.reason, details: d.details };
}
