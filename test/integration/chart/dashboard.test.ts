// The Grafana dashboard in the chart: valid JSON of the expected shape, shipped in a ConfigMap for
// Grafana's sidecar only when enabled, and every metric it queries is one the real api-server and
// operator export (scraped from their /metrics), so renaming a metric fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_DIR, FULL_VALUES, find, render } from './helpers.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../env/process.js';

const DASHBOARD = join(CHART_DIR, 'dashboards', 'cloudtranscode.json');

interface Target {
  expr: string;
  refId: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: Target[];
  gridPos: { x: number; y: number; w: number; h: number };
}

const dashboard = () =>
  JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    uid: string;
    title: string;
    panels: Panel[];
    templating: { list: { name: string; query: unknown; definition?: string }[] };
  };

/** Every ct_* metric name a PromQL text mentions. */
const metricNames = (promql: string) => [...promql.matchAll(/\b(ct_[a-z0-9_]+)\b/g)].map((m) => m[1]!);

/** Names a /metrics text exposes: each `# TYPE` plus the series suffixes of histograms and summaries. */
function exported(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    out.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) out.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) out.add(name + s);
  }
  return out;
}

test('the dashboard is valid: unique panel ids, a Prometheus datasource variable, every panel queried, no overlaps', () => {
  const d = dashboard();
  expect(d.uid).toBe('cloudtranscode');
  expect(d.templating.list.map((v) => v.name)).toEqual(['datasource', 'namespace']);
  const ids = d.panels.map((p) => p.id);
  expect(new Set(ids).size).toBe(ids.length);
  const graphs = d.panels.filter((p) => p.type !== 'row');
  expect(graphs.length).toBeGreaterThanOrEqual(10);
  for (const p of graphs) {
    expect({ title: p.title, uid: p.datasource?.uid }).toEqual({ title: p.title, uid: '${datasource}' });
    expect(p.targets?.length).toBeGreaterThan(0);
    for (const t of p.targets!) expect(metricNames(t.expr).length).toBeGreaterThan(0);
  }
  // Grid cells of two panels never overlap.
  const cells = new Set<string>();
  for (const p of d.panels)
    for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
        expect(cells.has(`${x},${y}`) ? `${p.title} overlaps at ${x},${y}` : '').toBe('');
        cells.add(`${x},${y}`);
      }
  // The list of views is there.
  const titles = graphs.map((p) => p.title.toLowerCase()).join(' | ');
  for (const want of [
    'jobs by phase',
    'queue depth',
    'dispatch latency',
    'runners',
    'request rate',
    'request latency',
    'reconcile latency',
    'reconcile errors',
    'sqs ingest',
  ])
    expect(titles).toContain(want);
});

test('the chart ships it in a ConfigMap for the Grafana sidecar only when enabled', async () => {
  expect(find(await render('media'), 'ConfigMap').filter((o) => o.metadata.labels?.['grafana_dashboard'])).toEqual([]);
  const objs = await render('media', { valuesFiles: [FULL_VALUES], set: ['metrics.grafanaDashboard.namespace=monitoring'] });
  const [cm, ...more] = find(objs, 'ConfigMap').filter((o) => o.metadata.labels?.['grafana_dashboard'] === '1');
  expect(more).toEqual([]);
  expect(cm!.metadata.namespace).toBe('monitoring');
  expect(cm!.metadata.annotations).toEqual({ grafana_folder: 'cloudtranscode' });
  expect(JSON.parse(cm!.data['cloudtranscode.json'])).toEqual(dashboard());
});

describe('against the running components', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('dash');
  });
  afterAll(async () => {
    await stack?.components.stop();
  });

  test('every metric the dashboard queries is exported by the api-server or the operator', async () => {
    const api = await (await fetch(`${stack.components.apiUrl}/metrics`)).text();
    const opLog = stack.components.logs['operator']!;
    const address = await waitFor(
      'the operator metrics address in its log',
      async () =>
        readFileSync(opLog, 'utf8')
          .split('\n')
          .filter((l) => l.includes('health/metrics server listening'))
          .map((l) => (JSON.parse(l) as { address: string }).address)[0],
      30_000,
      300,
    );
    const op = await (await fetch(`http://127.0.0.1:${address.split(':').at(-1)}/metrics`)).text();
    const names = new Set([...exported(api), ...exported(op)]);
    expect(names.has('ct_api_http_requests_total')).toBe(true); // the scrape itself worked
    expect(names.has('ct_operator_reconcile_duration_seconds_bucket')).toBe(true);
    const d = dashboard();
    const used = new Set([
      ...d.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr))),
      ...d.templating.list.flatMap((v) => metricNames(JSON.stringify(v.query ?? ''))),
    ]);
    expect(used.size).toBeGreaterThanOrEqual(15);
    expect([...used].filter((n) => !names.has(n)).sort()).toEqual([]);
  });
});
