// The answer of jobs/request, pre-serialized (docs/peertube-runner-protocol.md §6): every runner
// asking for the same job types gets the same bytes until a pending task (or its job) changes, so
// the page is built once per type set and store generation, not once per request — runners poll.
import { isStandardJobType } from '../../lib/peertube/job-types.js';
import type { AvailableJob } from '../../lib/peertube/wire.js';
import type { Store } from '../store.js';
import { absolutePayload } from './view.js';

export const MAX_AVAILABLE_JOBS = 10;
/** Type sets come from runners: at most this many pages are kept per generation. */
const MAX_PAGES = 256;

export class AvailableJobsPages {
  private generation = -1;
  private readonly pages = new Map<string, Buffer>();

  constructor(
    private readonly store: Store,
    private readonly publicUrl: string,
  ) {}

  /** The JSON body `{ availableJobs }` for a runner asking for `jobTypes` (none named: an official runner, standard types). */
  page(jobTypes: readonly string[] | undefined): Buffer {
    if (this.generation !== this.store.pendingGeneration) {
      this.pages.clear();
      this.generation = this.store.pendingGeneration;
    }
    // The filter is a set: the same types in another order or repeated are the same page.
    const key = jobTypes ? JSON.stringify([...new Set(jobTypes)].sort()) : '';
    let page = this.pages.get(key);
    if (!page) {
      if (this.pages.size >= MAX_PAGES) this.pages.clear();
      page = Buffer.from(JSON.stringify({ availableJobs: this.build(jobTypes ? new Set(jobTypes) : undefined) }));
      this.pages.set(key, page);
    }
    return page;
  }

  private build(wanted: ReadonlySet<string> | undefined): AvailableJob[] {
    const out: AvailableJob[] = [];
    for (const { job, task } of this.store.pendingTasks()) {
      if (wanted ? !wanted.has(task.type) : !isStandardJobType(task.type)) continue;
      if (job.spec.cancel) continue; // the operator is about to cancel it
      out.push({ uuid: task.uuid, type: task.type, payload: absolutePayload(task.payload, this.publicUrl) });
      if (out.length >= MAX_AVAILABLE_JOBS) break;
    }
    return out;
  }
}
