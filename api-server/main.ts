// api-server entry point (dist/api-server/main.js): a stateless replica serving runners and the
// video API from watch caches of the CRs. Several replicas may run against one apiserver.
// Shutdown (SIGTERM/SIGINT): readiness goes false, no new connections, runner sockets are closed,
// in-flight requests (uploads) get up to CT_SHUTDOWN_GRACE_MS to finish, scheduled progress writes
// are flushed, then the process exits.
import { createServer, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { kubeConfig } from '../lib/kube/client.js';
import { shareAgent } from '../lib/kube/http.js';
import { loadOrExit } from '../lib/config/env.js';
import { createLogger, errorInfo } from '../lib/log.js';
import { createApp } from './app.js';
import { createFeed } from './console/index.js';
import { isRunnerOnline } from './console/views.js';
import { registerCacheMetrics } from './cache-metrics.js';
import { loadConfig, type ApiServerConfig } from './config.js';
import { connectedRunnersGauge, taskStateGauge } from './metrics.js';
import { RunnerAuth } from './runners/auth.js';
import { TaskWriter } from './runners/transitions.js';
import { Storage } from './s3.js';
import { RunnerSockets } from './socket.js';
import { Store } from './store.js';
import type { TranscodeRunner } from '../lib/schema/transcode-runner.js';

export interface RunningApiServer {
  server: Server;
  port: number;
  store: Store;
  sockets: RunnerSockets;
  shutdown(): Promise<void>;
}

export async function startApiServer(config: ApiServerConfig): Promise<RunningApiServer> {
  const log = createLogger('api-server');
  const kc = kubeConfig();
  shareAgent(kc); // keep-alive to the apiserver: accepts and status writes reuse connections
  const store = new Store(kc, log, config.namespace);
  const auth = new RunnerAuth(kc, store, config.namespace);
  const writer = new TaskWriter(kc, store, log, config.progressWriteIntervalMs);
  const storage = new Storage();
  let ready = false;
  let stopping = false;

  // As PeerTube: removing a runner (or revoking its registration token) leaves its socket open; its
  // next call gets unknown_runner_token and an official runner then unregisters itself and disconnects.
  // (Closing the socket instead leaves an official runner idle forever: its client never reconnects.)
  const onRunnerRemoved = (r: TranscodeRunner) => log.info({ runner: r.metadata.name }, 'runner removed; socket left open');
  // Our listener (hot routes, then express) must be the server's before Socket.IO attaches: engine.io
  // then wraps it and answers /socket.io/ itself (HTTP long-polling); attached the other way round
  // express would answer polling requests with 404 too.
  const consoleFeed = createFeed(store, config, log, (r) => sockets.isConnected(r)); // read only once sockets exist
  const app = createApp({ kc, config, store, auth, writer, storage, log, isReady: () => ready && !stopping, onRunnerRemoved, consoleFeed });
  const server = createServer(app);
  // Results stream in as long as their upload (or, for our runner, their encoding) lasts: no 5 min cap.
  server.requestTimeout = 0;
  const sockets = new RunnerSockets(server, auth, log, () => store.pendingTasks());
  store.onTaskPending(() => sockets.availableJobs());
  taskStateGauge(() => {
    const counts = new Map<number, number>();
    for (const { task } of store.allTasks()) counts.set(task.state, (counts.get(task.state) ?? 0) + 1);
    return counts;
  });
  connectedRunnersGauge(() => sockets.connected);
  registerCacheMetrics(store, (r) => isRunnerOnline(r, sockets.isConnected(r), config.consoleOfflineAfterMs, Date.now()));

  store.start();
  void store.synced.then(() => {
    ready = true;
    log.info({ jobs: store.jobs.cache.size(), runners: store.runners.cache.size() }, 'caches synced; ready');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info(
    { port, publicUrl: config.publicUrl, namespace: config.namespace || '(all)', downloadMode: config.downloadMode },
    'api-server listening',
  );

  async function shutdown(): Promise<void> {
    if (stopping) return;
    stopping = true;
    log.info({ graceMs: config.shutdownGraceMs }, 'shutting down: finishing in-flight requests');
    sockets.close();
    consoleFeed.close(); // event streams never end by themselves
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const idle = setInterval(() => server.closeIdleConnections(), 500);
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), config.shutdownGraceMs).unref());
    if ((await Promise.race([closed, timeout])) === 'timeout') {
      log.warn('grace period over: closing the remaining connections');
      server.closeAllConnections();
    }
    clearInterval(idle);
    await writer.flushAll();
    await store.stop();
    log.info('stopped');
  }
  return { server, port, store, sockets, shutdown };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const log = createLogger('api-server');
  const config = loadOrExit(loadConfig, (err) => log.fatal({ variable: err.variable, err: errorInfo(err) }, 'configuration error'));
  startApiServer(config).then(
    (running) => {
      const stop = (signal: string) => {
        log.info({ signal }, 'signal received');
        running.shutdown().then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err: errorInfo(err) }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    },
    (err: unknown) => {
      log.fatal({ err: errorInfo(err) }, 'api-server failed to start');
      process.exit(1);
    },
  );
}
