// SWF call counters (served with the operator's other metrics).
import { metric } from '../runtime/metrics.js';

export const swfCalls = metric.counter('ct_operator_swf_calls_total', 'SWF API calls made by the job recorder, by operation and result.', [
  'op',
  'result',
]);
