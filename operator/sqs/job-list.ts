// GET_JOB_LIST over both homes of a client's jobs: the live TranscodeJobs (the informer cache) and the
// job records of jobs already deleted after their TTL (operator/retention/records.ts), merged in one
// order — oldest first, the name breaking ties — so paging works across both.
import { jobName } from '../../lib/ct/naming.js';
import { jobSummary } from '../../lib/ct/report.js';
import type { JobListFilter, JobSummary } from '../../lib/ct/messages.js';
import type { TranscodeJob } from '../../lib/schema/transcode-job.js';
import type { IndexEntry, JobRecords, RecordArea } from '../retention/records.js';

export interface RecordedJobs {
  records: JobRecords;
  area: RecordArea;
  client: { namespace: string; name: string };
}

export interface JobListPage {
  jobs: JobSummary[];
  next_token?: string;
}

/** The order of GET_JOB_LIST; ISO timestamps sort as strings. */
export function sortKey(job: TranscodeJob): string {
  return `${String(job.metadata.creationTimestamp ?? '')}\0${job.metadata.name ?? ''}`;
}

export const encodeToken = (order: string): string => Buffer.from(order).toString('base64url');

type Item = { order: string } & ({ live: TranscodeJob } | { entry: IndexEntry });

/** One page of `live` (this client's cached jobs) and, when given, its recorded jobs, after `after` (a sort key). */
export async function listJobs(
  live: TranscodeJob[],
  recorded: RecordedJobs | undefined,
  filter: JobListFilter,
  after: string | undefined,
): Promise<JobListPage> {
  const phases = filter.phase === undefined ? undefined : new Set<string>(Array.isArray(filter.phase) ? filter.phase : [filter.phase]);
  const limit = filter.limit ?? 100;
  const items: Item[] = live
    .filter((j) => !phases || phases.has(j.status?.phase ?? 'Pending'))
    .map((j) => ({ live: j, order: sortKey(j) }))
    .filter(({ order }) => after === undefined || order > after);
  if (recorded) {
    const liveNames = new Set(live.map((j) => j.metadata.name));
    const orderOf = (e: IndexEntry) => `${e.created}\0${jobName(recorded.client.name, e.jobId)}`;
    const entries = await recorded.records.list(
      recorded.area,
      after?.split('\0')[0] ?? '',
      // A job still live (recorded just before its deletion) is listed once, from the cache.
      (e) =>
        (!phases || phases.has(e.phase)) &&
        (after === undefined || orderOf(e) > after) &&
        !liveNames.has(jobName(recorded.client.name, e.jobId)),
      limit + 1,
    );
    for (const entry of entries) items.push({ entry, order: orderOf(entry) });
  }
  items.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  const page = items.slice(0, limit);
  const jobs = await Promise.all(
    page.map(async (it): Promise<JobSummary | undefined> => {
      if ('live' in it) return jobSummary(it.live);
      // An index entry whose record is missing belongs to a job being recorded right now: skipped.
      const job = await recorded!.records.read(recorded!.area, recorded!.client, it.entry.jobId);
      return job ? jobSummary(job) : undefined;
    }),
  );
  const last = page[page.length - 1];
  return {
    jobs: jobs.filter((j): j is JobSummary => j !== undefined),
    ...(items.length > limit && last ? { next_token: encodeToken(last.order) } : {}),
  };
}
