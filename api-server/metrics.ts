// Prometheus metrics of the api-server (/metrics): requests and latencies by route (and how many
// took the hot path in front of express), tasks by state (from the cache, computed at scrape time),
// connected runner sockets, accept outcomes, event-loop lag.
import type { RequestHandler } from 'express';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { STATE_LABELS } from '../lib/peertube/task-state.js';
import { defineMetrics, trackEventLoopLag } from '../lib/metrics.js';
import { registerStatusMetrics } from '../lib/kube/status-metrics.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'ct_api_' });
/** Defines a metric in the api-server's registry. */
export const metric = defineMetrics(registry);
registerStatusMetrics(metric);
trackEventLoopLag(metric, 'ct_api_event_loop_lag_seconds');

export const httpRequests = metric.counter('ct_api_http_requests_total', 'HTTP requests by method, route and status.', [
  'method',
  'route',
  'status',
]);
export const httpDuration = metric.histogram(
  'ct_api_http_request_duration_seconds',
  'HTTP request latency by method and route.',
  [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 600],
  ['method', 'route'],
);
export const acceptCounter = metric.counter('ct_api_task_accepts_total', 'Accept attempts by result (accepted, not_pending, gone).', [
  'result',
]);

export const contactWrites = metric.counter(
  'ct_api_runner_contact_writes_total',
  'TranscodeRunner status writes refreshing lastContact/version/jobTypes, by result (written, gone, failed).',
  ['result'],
);

export const taskStateGauge = (countByState: () => Map<number, number>) =>
  metric.gauge('ct_api_tasks', 'Tasks in the cache by state.', ['state'], (g) => {
    g.reset();
    const counts = countByState();
    for (const [id, label] of Object.entries(STATE_LABELS)) g.set({ state: label }, counts.get(Number(id)) ?? 0);
  });

export const connectedRunnersGauge = (count: () => number) =>
  metric.gauge('ct_api_connected_runner_sockets', 'Runner Socket.IO connections to this replica.', [], (g) => g.set(count()));

export const hotRouteRequests = metric.counter(
  'ct_api_hot_route_requests_total',
  'Runner requests served by the hot path in front of express (api-server/hot-routes.ts), by route; the rest fell through to express.',
  ['route'],
);

/** Records one served POST of a hot route (label children cached: no label hashing per request). */
export function routeMetrics(): { observe(route: string, status: number, seconds: number): void } {
  const durations = new Map<string, ReturnType<typeof httpDuration.labels>>();
  const counts = new Map<string, ReturnType<typeof httpRequests.labels>>();
  const hot = new Map<string, ReturnType<typeof hotRouteRequests.labels>>();
  return {
    observe(route, status, seconds) {
      let d = durations.get(route);
      if (!d) durations.set(route, (d = httpDuration.labels({ method: 'POST', route })));
      d.observe(seconds);
      const key = `${route} ${status}`;
      let c = counts.get(key);
      if (!c) counts.set(key, (c = httpRequests.labels({ method: 'POST', route, status: String(status) })));
      c.inc();
      let h = hot.get(route);
      if (!h) hot.set(route, (h = hotRouteRequests.labels({ route })));
      h.inc();
    },
  };
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
