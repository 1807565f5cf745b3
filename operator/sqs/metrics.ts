// Prometheus metrics of the SQS listener and the output publisher (served with the runtime's /metrics).
import { Counter, Histogram } from 'prom-client';
import { registry } from '../runtime/metrics.js';

export const sqsMessages = new Counter({
  name: 'ct_sqs_commands_total',
  help: 'Client commands handled, by outcome (created, duplicate, replied, rejected, error).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const sqsPublished = new Counter({
  name: 'ct_sqs_published_total',
  help: 'Messages sent to client output queues by the publisher, by type.',
  labelNames: ['type'] as const,
  registers: [registry],
});

export const publishLag = new Histogram({
  name: 'ct_sqs_publish_seconds',
  help: 'Time to send one job’s pending messages and record them in status.published.',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});
