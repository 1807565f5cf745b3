// SWF call counters (served with the operator's other metrics).
import { Counter } from 'prom-client';
import { registry } from '../runtime/metrics.js';

export const swfCalls = new Counter({
  name: 'ct_operator_swf_calls_total',
  help: 'SWF API calls made by the job recorder, by operation and result.',
  labelNames: ['op', 'result'] as const,
  registers: [registry],
});
