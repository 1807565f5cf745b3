// Prometheus metrics of the api-server (/metrics): requests and latencies by route, tasks by
// state (from the cache, computed at scrape time), connected runner sockets, accept outcomes.
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { STATE_LABELS } from '../lib/peertube/task-state.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'ct_api_' });

export const httpRequests = new Counter({
  name: 'ct_api_http_requests_total',
  help: 'HTTP requests by method, route and status.',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'ct_api_http_request_duration_seconds',
  help: 'HTTP request latency by method and route.',
  labelNames: ['method', 'route'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 600],
  registers: [registry],
});

export const acceptCounter = new Counter({
  name: 'ct_api_task_accepts_total',
  help: 'Accept attempts by result (accepted, not_pending, gone).',
  labelNames: ['result'] as const,
  registers: [registry],
});

export function taskStateGauge(countByState: () => Map<number, number>): Gauge {
  return new Gauge({
    name: 'ct_api_tasks',
    help: 'Tasks in the cache by state.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const counts = countByState();
      for (const [id, label] of Object.entries(STATE_LABELS)) this.set({ state: label }, counts.get(Number(id)) ?? 0);
    },
  });
}

export function connectedRunnersGauge(count: () => number): Gauge {
  return new Gauge({
    name: 'ct_api_connected_runner_sockets',
    help: 'Runner Socket.IO connections to this replica.',
    registers: [registry],
    collect() {
      this.set(count());
    },
  });
}

/** Times every request; the route label is the matched route pattern (never the raw path: bounded cardinality). */
export function requestMetrics(): RequestHandler {
  return (req, res, next) => {
    const end = httpDuration.startTimer();
    res.on('finish', () => {
      const route = req.route ? `${req.baseUrl}${String((req.route as { path: unknown }).path)}` : 'unmatched';
      end({ method: req.method, route });
      httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
