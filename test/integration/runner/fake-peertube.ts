// A small PeerTube-protocol server for the runner's tests (express + busboy + socket.io), following
// docs/peertube-runner-protocol.md §2–10: JSON and multipart bodies, exact status codes, problem+json codes,
// downloads by POST with a redirect to a storage URL, and the `available-jobs` ping. A plain fake:
// the real api-server is tested on its own and end to end.
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import busboy from 'busboy';
import express, { type Request, type Response } from 'express';
import { Server as IoServer } from 'socket.io';

export interface UploadedFile {
  field: string;
  filename: string;
  path: string;
  size: number;
}

export interface FakeJob {
  uuid: string;
  type: string;
  payload: unknown;
  state: 'pending' | 'processing' | 'completed' | 'errored' | 'cancelled';
  jobToken?: string;
  runnerToken?: string;
  progress: number[];
  errors: string[];
  aborts: string[];
  success?: { fields: Record<string, string>; files: UploadedFile[] };
  /** Every accept that reached the server, by runner token. */
  accepts: string[];
}

export interface FakeOptions {
  dir: string;
  registrationTokens?: string[];
}

function problem(res: Response, status: number, detail: string, code?: string): void {
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: `about:blank#${code ?? status}`, title: detail, status, detail, ...(code ? { code } : {}) }));
}

export class FakePeerTube {
  readonly jobs = new Map<string, FakeJob>();
  readonly runners = new Map<string, { id: number; name: string }>();
  readonly registrationTokens: Set<string>;
  readonly requests: { path: string; jobTypes?: unknown; at: number }[] = [];
  /** Input files by URL path. */
  private readonly files = new Map<string, string>();
  /** Accepts for these job uuids answer 409 as if another runner had been faster. */
  readonly stealOnAccept = new Set<string>();
  /** Highest number of jobs one runner had in processing at once, by runner token. */
  readonly maxConcurrent = new Map<string, number>();
  port = 0;
  private server: Server | undefined;
  private io: IoServer | undefined;
  private nextRunnerId = 1;

  constructor(private readonly opts: FakeOptions) {
    this.registrationTokens = new Set(opts.registrationTokens ?? ['ptrrt-test']);
    mkdirSync(opts.dir, { recursive: true });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** An input URL for a job (PeerTube's shape) served from a local file through a storage redirect. */
  addFile(jobUuid: string, name: string, localPath: string): string {
    const path = `/api/v1/runners/jobs/${jobUuid}/files/videos/${jobUuid}/${name}`;
    this.files.set(path, localPath);
    return `${this.url}${path}`;
  }

  addJob(type: string, payload: (uuid: string) => unknown, notify = true): FakeJob {
    const uuid = randomUUID();
    const job: FakeJob = { uuid, type, payload: payload(uuid), state: 'pending', progress: [], errors: [], aborts: [], accepts: [] };
    this.jobs.set(uuid, job);
    if (notify) this.notify();
    return job;
  }

  notify(): void {
    this.io?.of('/runners').emit('available-jobs');
  }

  /** Closes every runner socket and the HTTP server (the runner then sees a server that is down). */
  async stop(): Promise<void> {
    this.io?.disconnectSockets(true);
    await new Promise<void>((r) => this.io!.close(() => r()));
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server?.listening ? this.server.close(() => r()) : r()));
  }

  async start(port = 0): Promise<void> {
    const app = express();
    const json = express.json();
    const runnerOf = (req: Request, res: Response): string | undefined => {
      const token = (req.body as { runnerToken?: unknown } | undefined)?.runnerToken;
      if (typeof token !== 'string' || !this.runners.has(token)) {
        problem(res, 404, 'Unknown runner token', 'unknown_runner_token');
        return undefined;
      }
      return token;
    };
    const jobOf = (req: Request, res: Response, fields: Record<string, string>): FakeJob | undefined => {
      const job = this.jobs.get(String(req.params['uuid']));
      if (!job || job.jobToken === undefined || job.jobToken !== fields['jobToken'] || job.runnerToken !== fields['runnerToken']) {
        problem(res, 404, 'Unknown runner job');
        return undefined;
      }
      if (job.state !== 'processing') {
        problem(res, 400, 'This runner job is not in processing state', 'runner_job_not_in_processing_state');
        return undefined;
      }
      return job;
    };

    app.post('/api/v1/runners/register', json, (req, res) => {
      const { registrationToken, name } = req.body as { registrationToken?: string; name?: string };
      if (!registrationToken || !this.registrationTokens.has(registrationToken)) return problem(res, 404, 'Registration token is invalid');
      if (!name || [...this.runners.values()].some((r) => r.name === name))
        return problem(res, 400, 'This runner name already exists on this instance');
      const runnerToken = `ptrt-${randomUUID()}`;
      const id = this.nextRunnerId++;
      this.runners.set(runnerToken, { id, name });
      res.status(200).json({ id, runnerToken });
    });
    app.post('/api/v1/runners/unregister', json, (req, res) => {
      const token = runnerOf(req, res);
      if (!token) return;
      this.runners.delete(token);
      res.status(204).end();
    });
    app.post('/api/v1/runners/jobs/request', json, (req, res) => {
      this.requests.push({ path: req.path, jobTypes: (req.body as { jobTypes?: unknown }).jobTypes, at: Date.now() });
      if (!runnerOf(req, res)) return;
      const types = (req.body as { jobTypes?: string[] }).jobTypes;
      const availableJobs = [...this.jobs.values()]
        .filter((j) => j.state === 'pending' && (!types || types.includes(j.type)))
        .slice(0, 10)
        .map((j) => ({ uuid: j.uuid, type: j.type, payload: j.payload }));
      res.status(200).json({ availableJobs });
    });
    app.post('/api/v1/runners/jobs/:uuid/accept', json, (req, res) => {
      const token = runnerOf(req, res);
      if (!token) return;
      const job = this.jobs.get(String(req.params['uuid']));
      if (!job) return problem(res, 404, 'Unknown runner job');
      job.accepts.push(token);
      if (this.stealOnAccept.has(job.uuid)) {
        // Another runner won the race: the job is now processing elsewhere.
        job.state = 'processing';
        job.runnerToken = 'ptrt-someone-else';
        job.jobToken = `ptrjt-${randomUUID()}`;
        return problem(res, 409, 'This runner job is not in pending state', 'runner_job_not_in_pending_state');
      }
      if (job.state !== 'pending') return problem(res, 409, 'This runner job is not in pending state', 'runner_job_not_in_pending_state');
      job.state = 'processing';
      job.runnerToken = token;
      job.jobToken = `ptrjt-${randomUUID()}`;
      const processing = [...this.jobs.values()].filter((j) => j.state === 'processing' && j.runnerToken === token).length;
      this.maxConcurrent.set(token, Math.max(this.maxConcurrent.get(token) ?? 0, processing));
      res.status(200).json({
        job: { uuid: job.uuid, type: job.type, state: { id: 2, label: 'Processing' }, payload: job.payload, jobToken: job.jobToken },
      });
    });
    app.post('/api/v1/runners/jobs/:uuid/abort', json, (req, res) => {
      const job = jobOf(req, res, req.body as Record<string, string>);
      if (!job) return;
      job.aborts.push(String((req.body as { reason?: unknown }).reason));
      job.state = 'pending';
      delete job.jobToken;
      delete job.runnerToken;
      res.status(204).end();
    });
    app.post('/api/v1/runners/jobs/:uuid/error', json, (req, res) => {
      const job = jobOf(req, res, req.body as Record<string, string>);
      if (!job) return;
      job.errors.push(String((req.body as { message?: unknown }).message));
      job.state = 'errored';
      res.status(204).end();
    });
    const multipart = (req: Request, res: Response, onDone: (fields: Record<string, string>, files: UploadedFile[]) => void) => {
      const fields: Record<string, string> = {};
      const files: UploadedFile[] = [];
      const writes: Promise<void>[] = [];
      let bb;
      try {
        bb = busboy({ headers: req.headers });
      } catch (err) {
        return problem(res, 400, `not multipart: ${(err as Error).message}`);
      }
      bb.on('field', (name, value) => (fields[name] = value));
      bb.on('file', (field, stream, info) => {
        const path = join(this.opts.dir, `${randomUUID()}-${info.filename}`);
        const entry = { field, filename: info.filename ?? '', path, size: 0 };
        files.push(entry);
        stream.on('data', (c: Buffer) => (entry.size += c.length));
        writes.push(
          new Promise((resolve, reject) => {
            const out = createWriteStream(path);
            stream.pipe(out);
            out.on('finish', () => resolve());
            out.on('error', reject);
          }),
        );
      });
      bb.on('close', () => void Promise.all(writes).then(() => onDone(fields, files)));
      req.pipe(bb);
    };
    app.post('/api/v1/runners/jobs/:uuid/update', (req, res) => {
      multipart(req, res, (fields) => {
        const job = jobOf(req, res, fields);
        if (!job) return;
        if (fields['progress'] !== undefined) job.progress.push(Number(fields['progress']));
        res.status(204).end();
      });
    });
    app.post('/api/v1/runners/jobs/:uuid/success', (req, res) => {
      multipart(req, res, (fields, files) => {
        const job = jobOf(req, res, fields);
        if (!job) return;
        job.success = { fields, files };
        job.state = 'completed';
        res.status(204).end();
      });
    });
    // Downloads: POST {runnerToken, jobToken} → 302 to a one-time "storage" URL (like a presigned S3 GET).
    const storage = new Map<string, string>();
    app.post('/api/v1/runners/jobs/:uuid/files/*rest', json, (req, res) => {
      const job = jobOf(req, res, req.body as Record<string, string>);
      if (!job) return;
      const local = this.files.get(req.path);
      if (!local) return problem(res, 404, 'No such file');
      const key = randomUUID();
      storage.set(key, local);
      res.redirect(302, `/storage/${key}`);
    });
    app.get('/storage/:key', (req, res) => {
      const local = storage.get(String(req.params['key']));
      if (!local) return problem(res, 404, 'No such object');
      res.sendFile(local);
    });

    this.server = createServer(app);
    this.io = new IoServer(this.server);
    this.io.of('/runners').use((socket, next) => {
      const token = (socket.handshake.auth as { runnerToken?: unknown }).runnerToken;
      if (typeof token !== 'string' || !this.runners.has(token)) return next(new Error('Invalid runner token.'));
      next();
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : port;
  }
}
