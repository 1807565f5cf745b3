// Job records: the JSON copy of a finished TranscodeJob in its client's output bucket, written before
// the retention controller deletes the job, so GET_JOB_STATUS, GET_ACTIVITY_*, GET_JOB_LIST and a
// re-sent START_JOB keep their answers after the CR is gone — also after SWF's retention of closed
// executions (CT_SWF_RETENTION_DAYS, default 1 day) and with SWF recording off (docs/retention.md).
//
//   <prefix>.cloudtranscode/jobs/<job_id>.json                 the record (the stored job: metadata, spec, status)
//   <prefix>.cloudtranscode/index/<created>/<phase>/<job_id>   empty; lists jobs in creation order for GET_JOB_LIST
//
// The index entry is written first: a record always has one; an entry without its record (a crash in
// between) belongs to a job that still exists and is skipped.
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { API_VERSION } from '../../lib/kube/resources.js';
import type { Logger } from '../../lib/log.js';
import { TranscodeJob } from '../../lib/schema/transcode-job.js';
import type { TranscodeClient } from '../../lib/schema/transcode-client.js';
import { validator } from '../../lib/validate.js';

export const RECORD_KIND = 'TranscodeJobRecord';
const ROOT = '.cloudtranscode/';
const validJob = validator(TranscodeJob, 'job record');

export interface JobRecord {
  apiVersion: string;
  kind: typeof RECORD_KIND;
  recordedAt: string;
  job: TranscodeJob;
}

/** Where a client's records live: its own output bucket (+ prefix), the one area the client always reads. */
export interface RecordArea {
  bucket: string;
  /** Key prefix of every record object (ends with '/'). */
  root: string;
}

export function recordArea(client: TranscodeClient): RecordArea | undefined {
  const bucket = client.status?.buckets?.output ?? client.spec.buckets?.output?.name;
  if (!bucket) return undefined;
  const prefix = client.spec.buckets?.output?.prefix ?? '';
  return { bucket, root: `${prefix}${prefix && !prefix.endsWith('/') ? '/' : ''}${ROOT}` };
}

export const recordKey = (area: RecordArea, jobId: string): string => `${area.root}jobs/${jobId}.json`;

/** One entry of the index: enough to order and filter a GET_JOB_LIST without reading the record. */
export interface IndexEntry {
  created: string;
  phase: string;
  jobId: string;
}

const indexRoot = (area: RecordArea): string => `${area.root}index/`;
const indexKey = (area: RecordArea, e: IndexEntry): string => `${indexRoot(area)}${e.created}/${e.phase}/${e.jobId}`;

/** What HeadObject tells about a record: which version of the job it holds and when it was written. */
export interface RecordHead {
  uid: string;
  resourceVersion: string;
  writtenAt: number;
}

const isNotFound = (err: unknown): boolean => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  // A bucket that is gone holds no records either.
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.name === 'NoSuchBucket' || e.$metadata?.httpStatusCode === 404;
};

export class JobRecords {
  constructor(
    private readonly s3: S3Client,
    private readonly log: Logger,
  ) {}

  /** Writes the index entry, then the record (both idempotent: same keys, same content). */
  async write(area: RecordArea, job: TranscodeJob): Promise<void> {
    const record: JobRecord = { apiVersion: API_VERSION, kind: RECORD_KIND, recordedAt: new Date().toISOString(), job: trimmed(job) };
    const entry: IndexEntry = {
      created: String(job.metadata.creationTimestamp ?? ''),
      phase: job.status?.phase ?? 'Pending',
      jobId: job.spec.jobId,
    };
    const what = `job record of ${job.metadata.namespace}/${job.metadata.name} in s3://${area.bucket}`;
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: area.bucket, Key: indexKey(area, entry), Body: '' }));
      await this.s3.send(
        new PutObjectCommand({
          Bucket: area.bucket,
          Key: recordKey(area, job.spec.jobId),
          Body: JSON.stringify(record),
          ContentType: 'application/json',
          Metadata: { uid: job.metadata.uid ?? '', 'resource-version': job.metadata.resourceVersion ?? '' },
        }),
      );
    } catch (err) {
      throw new Error(`writing the ${what} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async head(area: RecordArea, jobId: string): Promise<RecordHead | undefined> {
    try {
      const r = await this.s3.send(new HeadObjectCommand({ Bucket: area.bucket, Key: recordKey(area, jobId) }));
      return {
        uid: r.Metadata?.['uid'] ?? '',
        resourceVersion: r.Metadata?.['resource-version'] ?? '',
        writtenAt: r.LastModified?.getTime() ?? 0,
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new Error(`reading the job record ${jobId} in s3://${area.bucket} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * The recorded job of `client` with this job_id, or undefined when there is none. The output bucket
   * is writable by the client's jobs, so a record is checked like any input: its shape, and that it
   * is this client's job with this id.
   */
  async read(area: RecordArea, client: { namespace: string; name: string }, jobId: string): Promise<TranscodeJob | undefined> {
    let body: string;
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: area.bucket, Key: recordKey(area, jobId) }));
      body = (await r.Body?.transformToString()) ?? '';
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new Error(`reading the job record ${jobId} in s3://${area.bucket} failed: ${(err as Error).message}`, { cause: err });
    }
    let record: Partial<JobRecord> | undefined;
    try {
      record = JSON.parse(body) as Partial<JobRecord>;
    } catch {
      record = undefined;
    }
    const job = record?.kind === RECORD_KIND ? record.job : undefined;
    const problems = job === undefined ? ['not a job record'] : validJob.errors(job);
    if (
      job &&
      !problems.length &&
      job.spec.clientRef.name === client.name &&
      job.spec.jobId === jobId &&
      job.metadata.namespace === client.namespace
    )
      return job;
    this.log.warn({ bucket: area.bucket, key: recordKey(area, jobId), problems }, 'ignoring an unreadable or foreign job record');
    return undefined;
  }

  /**
   * Index entries in creation order, from creation time `from` (inclusive) on, until `enough` of them
   * pass `keep` and the creation second of the last one is complete (entries of one second are not
   * ordered by the index; the caller sorts).
   */
  async list(area: RecordArea, from: string, keep: (e: IndexEntry) => boolean, enough: number): Promise<IndexEntry[]> {
    const root = indexRoot(area);
    const out: IndexEntry[] = [];
    let token: string | undefined;
    let boundary: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: area.bucket,
          Prefix: root,
          ...(token ? { ContinuationToken: token } : from ? { StartAfter: `${root}${from}` } : {}),
        }),
      );
      for (const o of page.Contents ?? []) {
        const [created, phase, jobId, ...rest] = (o.Key ?? '').slice(root.length).split('/');
        if (!created || !phase || !jobId || rest.length) continue;
        if (boundary !== undefined && created !== boundary) return out;
        const e = { created, phase, jobId };
        if (!keep(e)) continue;
        out.push(e);
        if (out.length >= enough) boundary = created;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }
}

/** The stored job without server bookkeeping (managedFields) that says nothing to a client. */
function trimmed(job: TranscodeJob): TranscodeJob {
  const { name, namespace, uid, resourceVersion, creationTimestamp, labels, annotations } = job.metadata;
  return {
    apiVersion: job.apiVersion,
    kind: job.kind,
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp, labels, ...(annotations ? { annotations } : {}) },
    spec: job.spec,
    ...(job.status ? { status: job.status } : {}),
  };
}
