// The runner's main loop: registration, the Socket.IO wake-ups plus a safety-net poll, up to
// `concurrency` jobs at once, back-off while the server is unreachable, and a clean stop.
import { mkdirSync, rmSync } from 'node:fs';
import { io, type Socket } from 'socket.io-client';
import { errorInfo, type Logger } from '../lib/log.js';
import { saveRunnerToken, type RunnerConfig } from './config.js';
import { toolVersions, warmUpCapabilities } from './ffmpeg.js';
import { JobExecution } from './job-execution.js';
import { CODES } from '../lib/peertube/problems.js';
import { SOCKET } from '../lib/peertube/routes.js';
import { ProtocolClient, ProtocolError, UnreachableError, type AcceptedJob } from './protocol-client.js';

/** The runner cannot go on (e.g. its token was revoked and it may not re-register). */
export class FatalRunnerError extends Error {
  override name = 'FatalRunnerError';
}

export class Runner {
  readonly client: ProtocolClient;
  private runnerToken: string | undefined;
  private readonly jobs = new Map<string, { exec: JobExecution; done: Promise<unknown> }>();
  private socket: Socket | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wakeSleeper: (() => void) | undefined;
  private backoffMs = 0;
  private checking = false;
  private checkAgain = false;
  private stopping = false;
  private resolveDone!: (code: number) => void;
  /** Resolves with the process exit code once the runner has stopped. */
  readonly done = new Promise<number>((r) => (this.resolveDone = r));

  constructor(
    private readonly config: RunnerConfig,
    private readonly logger: Logger,
  ) {
    this.client = new ProtocolClient(config.url);
    this.runnerToken = config.runnerToken;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  get token(): string | undefined {
    return this.runnerToken;
  }

  /** Registers (with back-off while the server is unreachable) and saves the token in the config file. */
  async register(): Promise<string> {
    const { registrationToken, name, description } = this.config;
    if (!registrationToken) {
      throw new FatalRunnerError(
        `no runner token in ${this.config.configFile} and no registration token configured: pass --registration-token (or CT_RUNNER_REGISTRATION_TOKEN)`,
      );
    }
    for (;;) {
      try {
        const res = await this.client.register({ registrationToken, name, ...(description ? { description } : {}) });
        this.runnerToken = res.runnerToken;
        saveRunnerToken(this.config.configFile, res.runnerToken);
        this.backoffMs = 0;
        this.logger.info({ runnerId: res.id, name, configFile: this.config.configFile }, 'registered with the server');
        return res.runnerToken;
      } catch (err) {
        if (!this.isTransient(err) || this.stopping) {
          if (err instanceof ProtocolError && err.status === 404) {
            throw new FatalRunnerError(`registration refused: the registration token is invalid or revoked (${err.message})`);
          }
          throw err instanceof ProtocolError ? new FatalRunnerError(`registration refused: ${err.message}`) : err;
        }
        await this.sleep(this.nextBackoff(err, 'register'));
        if (this.stopping) throw new FatalRunnerError('stopped before registration completed');
      }
    }
  }

  async start(): Promise<void> {
    // Fail at start, not job after job, when ffmpeg is missing.
    const tools = await toolVersions().catch((err: Error) => {
      throw new FatalRunnerError(err.message);
    });
    this.logger.info(tools, 'ffmpeg found');
    await warmUpCapabilities();
    rmSync(this.config.workDir, { recursive: true, force: true });
    mkdirSync(this.config.workDir, { recursive: true });
    if (!this.runnerToken) await this.register();
    this.logger.info(
      {
        url: this.config.url,
        name: this.config.name,
        concurrency: this.config.concurrency,
        jobTypes: this.config.jobTypes,
        peertubeStrict: this.config.peertubeStrict,
        workDir: this.config.workDir,
      },
      'runner started',
    );
    this.connectSocket();
    this.pollTimer = setInterval(() => {
      // A socket refused by the server's auth middleware does not reconnect by itself.
      if (this.socket && !this.socket.active) this.socket.connect();
      this.checkJobs('poll');
    }, this.config.pollIntervalMs);
    this.checkJobs('start');
  }

  private connectSocket(): void {
    this.socket?.close();
    const socket = io(`${this.config.url}${SOCKET.namespace}`, {
      auth: { runnerToken: this.runnerToken },
      transports: ['websocket'],
      reconnectionDelayMax: this.config.maxBackoffMs,
    });
    let lastError = '';
    socket.on('connect', () => {
      lastError = '';
      this.logger.info('socket connected');
      this.checkJobs('socket connect', true);
    });
    socket.on(SOCKET.availableJobs, () => this.checkJobs('available-jobs'));
    socket.on('connect_error', (err) => {
      // Log each distinct error once, not on every reconnection attempt.
      if (err.message !== lastError) this.logger.warn({ err: err.message }, 'socket connection failed; polling meanwhile');
      lastError = err.message;
    });
    socket.on('disconnect', (reason) => {
      if (!this.stopping) this.logger.warn({ reason }, 'socket disconnected');
    });
    this.socket = socket;
  }

  /**
   * Asks for jobs while there is capacity. Runs one round at a time; calls during a round make it
   * run once more. During a back-off only the retry timer (or a socket reconnect, `force`) checks.
   */
  checkJobs(reason: string, force = false): void {
    if (this.stopping) return;
    if (force && this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    if (this.retryTimer) return;
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = true;
    this.logger.debug({ reason, running: this.jobs.size }, 'checking for jobs');
    this.requestRound()
      .catch((err) => this.onCheckError(err))
      .finally(() => {
        this.checking = false;
        if (this.checkAgain) {
          this.checkAgain = false;
          setImmediate(() => this.checkJobs('again'));
        }
      });
  }

  private async requestRound(): Promise<void> {
    while (!this.stopping && this.jobs.size < this.config.concurrency) {
      const token = this.runnerToken;
      if (!token) return;
      const available = await this.client.requestJobs(token, this.config.peertubeStrict ? undefined : this.config.jobTypes);
      this.backoffMs = 0;
      const candidates = available.filter((j) => (this.config.jobTypes as string[]).includes(j.type) && !this.jobs.has(j.uuid));
      let accepted: AcceptedJob | undefined;
      for (const c of candidates) {
        if (this.stopping) return;
        try {
          accepted = await this.client.accept(token, c.uuid);
          break;
        } catch (err) {
          // Another runner was faster (409), or the job vanished meanwhile: try the next one quietly.
          if (err instanceof ProtocolError && (err.code === CODES.NOT_PENDING || err.status === 404 || (err.status === 400 && !err.code))) {
            this.logger.debug({ jobUuid: c.uuid, err: err.message }, 'job taken by someone else, skipping');
            continue;
          }
          throw err;
        }
      }
      if (!accepted) return;
      this.launch(accepted, token);
    }
  }

  private launch(job: AcceptedJob, runnerToken: string): void {
    const exec = new JobExecution(job, {
      client: this.client,
      runnerToken,
      settings: { threads: this.config.ffmpegThreads, nice: this.config.ffmpegNice },
      workDir: this.config.workDir,
      updateIntervalMs: this.config.updateIntervalMs,
      peertubeStrict: this.config.peertubeStrict,
      successRetryMs: this.config.successRetryMs,
      maxBackoffMs: this.config.maxBackoffMs,
      logger: this.logger,
    });
    const done = exec
      .run()
      .catch((err) => this.logger.error({ jobUuid: job.uuid, err: errorInfo(err) }, 'job crashed'))
      .finally(() => {
        this.jobs.delete(job.uuid);
        this.checkJobs('job finished');
      });
    this.jobs.set(job.uuid, { exec, done });
  }

  private isTransient(err: unknown): boolean {
    return err instanceof UnreachableError || (err instanceof ProtocolError && (err.status >= 500 || err.status === 429));
  }

  private nextBackoff(err: unknown, what: string): number {
    this.backoffMs = Math.min(this.config.maxBackoffMs, this.backoffMs ? this.backoffMs * 2 : 1000);
    this.logger.warn({ err: (err as Error).message, retryInMs: this.backoffMs }, `${what}: server unreachable or failing, backing off`);
    return this.backoffMs;
  }

  private onCheckError(err: unknown): void {
    if (this.stopping) return;
    if (err instanceof ProtocolError && err.code === CODES.UNKNOWN_RUNNER_TOKEN) {
      void this.onUnknownToken();
      return;
    }
    if (!this.isTransient(err)) this.logger.error({ err: errorInfo(err) }, 'job request failed');
    // Every failure waits before the next round, so a misbehaving server never causes a hot loop.
    const delay = this.isTransient(err) ? this.nextBackoff(err, 'jobs/request') : Math.max(this.config.pollIntervalMs, 1000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.checkJobs('retry');
    }, delay);
  }

  private async onUnknownToken(): Promise<void> {
    const running = [...this.jobs.values()];
    // The server forgot this runner: its jobs cannot be reported any more.
    for (const j of running) j.exec.stop('lost', 'the runner token is no longer known to the server');
    if (!this.config.registrationToken) {
      saveRunnerToken(this.config.configFile, undefined);
      this.fatal(
        new FatalRunnerError(
          `the server does not know this runner's token any more (runner removed or its registration token revoked), and no registration token is configured to register again: pass --registration-token`,
        ),
      );
      return;
    }
    this.logger.warn('the server does not know this runner token any more: registering again');
    this.runnerToken = undefined;
    saveRunnerToken(this.config.configFile, undefined);
    try {
      await this.register();
    } catch (err) {
      this.fatal(err);
      return;
    }
    this.connectSocket();
    this.checkJobs('re-registered', true);
  }

  private fatal(err: unknown): void {
    this.logger.fatal({ err: errorInfo(err) }, err instanceof Error ? err.message : String(err));
    void this.stop('fatal error', 1);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      this.wakeSleeper = r;
      this.sleepTimer = setTimeout(r, ms);
    });
  }

  /** Aborts every running job (given back to the server), kills ffmpeg, cleans the work dir. */
  async stop(why: string, exitCode = 0): Promise<number> {
    if (this.stopping) return this.done;
    this.stopping = true;
    this.logger.info({ why, running: this.jobs.size }, 'runner stopping');
    clearInterval(this.pollTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.sleepTimer);
    this.wakeSleeper?.();
    this.socket?.close();
    const running = [...this.jobs.values()];
    for (const j of running) j.exec.stop('runner-stopping', 'Runner stopped');
    const all = Promise.allSettled(running.map((j) => j.done));
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000).unref());
    if ((await Promise.race([all, timeout])) === 'timeout') this.logger.warn('jobs did not stop within 20 s');
    rmSync(this.config.workDir, { recursive: true, force: true });
    this.logger.info('runner stopped');
    this.resolveDone(exitCode);
    return exitCode;
  }
}
