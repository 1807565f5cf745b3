// Prometheus metrics of the SQS listener and the output publisher (served with the runtime's /metrics).
import { metric } from '../runtime/metrics.js';

export const sqsMessages = metric.counter(
  'ct_sqs_commands_total',
  'Client commands handled, by outcome (created, duplicate, replied, rejected, error).',
  ['outcome'],
);
export const sqsPublished = metric.counter('ct_sqs_published_total', 'Messages sent to client output queues by the publisher, by type.', [
  'type',
]);
export const publishLag = metric.histogram(
  'ct_sqs_publish_seconds',
  'Time to send one job’s pending messages and record them in status.published.',
  [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
);
