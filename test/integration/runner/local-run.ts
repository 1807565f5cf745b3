// Runs one runner job through the real JobExecution and real ffmpeg with files instead of HTTP:
// inputs come from a URL → file map, the success files are copied out (see processors.test.ts).
import { copyFileSync, createReadStream, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '../../../lib/log.js';
import { JobExecution } from '../../../runner/job-execution.js';
import { ProtocolClient, type AcceptedJob } from '../../../runner/protocol-client.js';
import type { UploadFile } from '../../../runner/upload.js';

export interface LocalRun {
  outcome: string;
  updates: (number | undefined)[];
  files: { field: string; filename: string; path: string }[];
  error?: string;
}

class LocalClient extends ProtocolClient {
  readonly rec: Omit<LocalRun, 'outcome'> = { updates: [], files: [] };
  constructor(
    private readonly inputs: Record<string, string>,
    private readonly outDir: string,
  ) {
    super('http://local.invalid');
  }
  override async download(_t: string, _j: AcceptedJob, url: string, dest: string): Promise<void> {
    const src = this.inputs[url];
    if (!src) throw new Error(`no such input ${url}`);
    copyFileSync(src, dest);
  }
  override async openDownload(_t: string, _j: AcceptedJob, url: string): Promise<Readable> {
    const src = this.inputs[url];
    if (!src) throw new Error(`no such input ${url}`);
    return createReadStream(src);
  }
  override async update(_t: string, _j: AcceptedJob, progress: number | undefined): Promise<void> {
    this.rec.updates.push(progress);
  }
  override async success(_t: string, _j: AcceptedJob, _p: Record<string, string | number | boolean>, files: UploadFile[]): Promise<void> {
    mkdirSync(this.outDir, { recursive: true });
    for (const f of files) {
      await f.ready;
      const filename = f.filename ?? basename(f.path);
      const path = join(this.outDir, filename);
      copyFileSync(f.path, path);
      this.rec.files.push({ field: f.field, filename, path });
    }
  }
  override async error(_t: string, _j: AcceptedJob, message: string): Promise<void> {
    this.rec.error = message;
  }
}

let n = 0;
export async function runLocal(
  root: string,
  logger: Logger,
  type: string,
  payload: unknown,
  inputs: Record<string, string>,
): Promise<LocalRun> {
  n += 1;
  const client = new LocalClient(inputs, join(root, `out-${n}`));
  const job: AcceptedJob = { uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, type, payload, jobToken: 'ptrjt-test' };
  const exec = new JobExecution(job, {
    client,
    runnerToken: 'ptrt-test',
    settings: { threads: 1, nice: 0 },
    workDir: join(root, 'work'),
    updateIntervalMs: 200,
    logger,
  });
  const outcome = await exec.run();
  return { ...client.rec, outcome };
}
