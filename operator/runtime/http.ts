// Health and metrics endpoints: /healthz (process alive), /readyz (caches synced), /metrics (Prometheus).
import { createServer, type Server } from 'node:http';
import type { Logger } from '../../lib/log.js';
import { errorInfo } from '../../lib/log.js';
import { registry } from './metrics.js';

export interface HealthSource {
  /** Empty when ready; otherwise what is not ready yet. */
  notReady(): string[];
  /** Extra facts for /readyz (e.g. leader or standby). */
  describe(): Record<string, unknown>;
}

export async function startHttpServer(port: number, host: string, health: HealthSource, log: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz' || path === '/livez') return send(200, 'text/plain', 'ok\n');
    if (path === '/readyz') {
      const missing = health.notReady();
      return send(
        missing.length ? 503 : 200,
        'application/json',
        JSON.stringify({ ready: missing.length === 0, waitingFor: missing, ...health.describe() }) + '\n',
      );
    }
    if (path === '/metrics') {
      registry
        .metrics()
        .then((text) => send(200, registry.contentType, text))
        .catch((err: unknown) => {
          log.error({ err: errorInfo(err) }, 'metrics collection failed');
          send(500, 'text/plain', 'metrics collection failed\n');
        });
      return;
    }
    send(404, 'text/plain', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  log.info(
    { address: typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : String(addr) },
    'health/metrics server listening',
  );
  return server;
}
