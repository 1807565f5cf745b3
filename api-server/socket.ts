// Socket.IO v4 on the API's HTTP server (docs/peertube-runner-protocol.md §10): path /socket.io, namespace
// /runners, handshake auth.runnerToken checked (missing or unknown → connect_error), websocket
// transport enabled. `available-jobs` (no payload) goes to every connected runner whenever this
// replica's watch sees a task become pending — whichever replica or component changed the CR.
// The first new task is told at once; a burst after it is debounced to one ping a second (then one
// trailing ping). "First" = no ping for a second, or every task pending at the last ping has been
// taken since (the runners drained the queue, so an idle one may be waiting for exactly this task).
import type { Server as HttpServer } from 'node:http';
import { Server, type Namespace } from 'socket.io';
import type { TranscodeRunner } from '../lib/schema/transcode-runner.js';
import { errorInfo, type Logger } from '../lib/log.js';
import { SOCKET } from '../lib/peertube/routes.js';
import type { RunnerAuth } from './runners/auth.js';

const PING_INTERVAL_MS = 1000;

/** The pending tasks as the api-server's cache has them (Store.pendingTasks). */
export type PendingTasks = () => readonly { task: { uuid: string } }[];

const roomOf = (r: TranscodeRunner) => `runner:${r.metadata.namespace}/${r.metadata.name}`;

export class RunnerSockets {
  readonly io: Server;
  readonly nsp: Namespace;
  private lastPing = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Tasks pending at the last ping: the runners have been told about them. */
  private told = new Set<string>();
  pings = 0;

  constructor(
    httpServer: HttpServer,
    auth: RunnerAuth,
    log: Logger,
    private readonly pending?: PendingTasks,
  ) {
    this.io = new Server(httpServer, {
      path: SOCKET.path,
      serveClient: false,
      transports: ['websocket', 'polling'],
      cors: { origin: '*' },
    });
    this.nsp = this.io.of(SOCKET.namespace);
    this.nsp.use((socket, next) => {
      const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.['runnerToken'];
      if (token === undefined || token === null || token === '') return next(new Error('No runner token provided'));
      if (typeof token !== 'string') return next(new Error('Runner token is invalid'));
      auth.findRunner(token).then(
        (runner) => {
          if (!runner) return next(new Error('Invalid runner token.'));
          socket.data['runner'] = runner.metadata.name;
          void socket.join(roomOf(runner));
          next();
        },
        (err: unknown) => {
          log.error({ err: errorInfo(err) }, 'socket authentication failed');
          next(new Error('Runner authentication failed, try again'));
        },
      );
    });
    this.nsp.on('connection', (socket) => log.debug({ runner: socket.data['runner'], id: socket.id }, 'runner socket connected'));
  }

  get connected(): number {
    return this.nsp.sockets.size;
  }

  /** `available-jobs` to every connected runner: at once for a first task, debounced in a burst. */
  availableJobs(): void {
    const wait = this.lastPing + PING_INTERVAL_MS - Date.now();
    if (wait <= 0 || this.drained()) return this.emit();
    if (!this.timer) {
      this.timer = setTimeout(() => this.emit(), wait);
      this.timer.unref();
    }
  }

  /** No task the runners were told about is still pending: what is pending now is all news. */
  private drained(): boolean {
    if (!this.pending) return false;
    // Oldest first (by priority then age): a task told about and still waiting is found early.
    return !this.pending().some((r) => this.told.has(r.task.uuid));
  }

  private emit(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.told = new Set(this.pending?.().map((r) => r.task.uuid));
    this.lastPing = Date.now();
    this.pings += 1;
    this.nsp.emit(SOCKET.availableJobs);
  }

  /** Is a socket of this runner connected to this replica? */
  isConnected(runner: TranscodeRunner): boolean {
    return (this.nsp.adapter.rooms.get(roomOf(runner))?.size ?? 0) > 0;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.nsp.disconnectSockets(true);
  }
}
