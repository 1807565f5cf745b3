// The SWF calls of the recorder, counted per operation and result; task-list names; fault names.
import type { SWFClient } from '@aws-sdk/client-swf';
import type { Logger } from '../../lib/log.js';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';
import type { SwfConfig } from './config.js';
import { swfCalls } from './metrics.js';

export function errName(err: unknown): string {
  return (err as { name?: string })?.name ?? '';
}

/** Runs fn; an error with one of the fault names means the call's goal already holds (done). */
export async function unless(faults: readonly string[], fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!faults.includes(errName(err))) throw err;
  }
}

export class SwfApi {
  constructor(
    readonly swf: SWFClient,
    readonly cfg: SwfConfig,
    readonly log: Logger,
  ) {}

  async call<T>(op: string, fn: (swf: SWFClient) => Promise<T>): Promise<T> {
    try {
      const r = await fn(this.swf);
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
}
