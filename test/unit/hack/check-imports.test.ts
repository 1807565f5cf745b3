// hack/check-imports.ts: the product code keeps the import rule (lib at the bottom; api-server,
// operator, runner, sdk never import each other; cli on sdk; no cycles), and the check catches
// each kind of breach in a fixture tree.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { importCycles, importGraph, layerViolations } from '../../../hack/check-imports.js';

test('the product code follows the layers and has no import cycle', () => {
  const graph = importGraph(process.cwd());
  expect(graph.size).toBeGreaterThan(100);
  // The graph is real: the operator does reach lib.
  expect([...(graph.get('operator/main.ts')?.keys() ?? [])].some((f) => f.startsWith('lib/'))).toBe(true);
  expect(layerViolations(graph)).toEqual([]);
  expect(importCycles(graph, true)).toEqual([]);
  expect(importCycles(graph)).toEqual([]);
});

describe('on a fixture tree', () => {
  let dir: string;
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'imports-'));
    write('lib/a.ts', 'export const a = 1;\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('allowed imports pass', () => {
    write('operator/x.ts', "import { a } from '../lib/a.js';\nexport const x = a;\n");
    write('sdk/index.ts', "export * from '../lib/a.js';\n");
    write('cli/c.ts', "import '../sdk/index.js';\nimport { a } from '../lib/a.js';\nvoid a;\n");
    const graph = importGraph(dir);
    expect([...graph.get('cli/c.ts')!.keys()].sort()).toEqual(['lib/a.ts', 'sdk/index.ts']);
    expect(layerViolations(graph)).toEqual([]);
    expect(importCycles(graph)).toEqual([]);
  });

  test('siblings importing each other, lib importing up, and a missing file are reported', () => {
    write('operator/x.ts', 'export const x = 1;\n');
    write('runner/r.ts', "import type { Foo } from '../api-server/s.js';\nexport type R = Foo;\n");
    write('api-server/s.ts', "export type Foo = number;\nexport const load = () => import('../operator/x.js');\n");
    write('lib/up.ts', "export { x } from '../operator/x.js';\nimport './gone.js';\n");
    expect(layerViolations(importGraph(dir)).sort()).toEqual([
      'api-server/s.ts → operator/x.ts (api-server may not import operator)',
      'lib/up.ts → ./gone.js (no such file)',
      'lib/up.ts → operator/x.ts (lib may not import operator)',
      'runner/r.ts → api-server/s.ts (runner may not import api-server)',
    ]);
  });

  test('a cycle is reported with all its files, a self-import too', () => {
    write('lib/b.ts', "import { c } from './c.js';\nexport const b = c;\n");
    write('lib/c.ts', "import { d } from './d/index.js';\nexport const c = d;\n");
    write('lib/d/index.ts', "import { a } from '../a.js';\nimport { b } from '../b.js';\nexport const d = () => a + b;\n");
    write('lib/e.ts', "import './e.js';\n");
    expect(importCycles(importGraph(dir))).toEqual([['lib/b.ts', 'lib/c.ts', 'lib/d/index.ts'], ['lib/e.ts']]);
    expect(importCycles(importGraph(dir), true)).toEqual([['lib/b.ts', 'lib/c.ts', 'lib/d/index.ts'], ['lib/e.ts']]);
  });

  test('a cycle only through type imports is a cycle, but not a run-time one', () => {
    write('lib/b.ts', "import { type C } from './c.js';\nexport const b = 1;\nexport type B = C;\n");
    write('lib/c.ts', "import { b } from './b.js';\nexport type C = typeof b;\n");
    write('lib/f.ts', "export type F = import('./g.js').G;\n");
    write('lib/g.ts', "import type { F } from './f.js';\nexport type G = F | 1;\n");
    const graph = importGraph(dir);
    expect(graph.get('lib/b.ts')?.get('lib/c.ts')).toEqual({ typeOnly: true });
    expect(graph.get('lib/c.ts')?.get('lib/b.ts')).toEqual({ typeOnly: false });
    expect(importCycles(graph)).toEqual([
      ['lib/b.ts', 'lib/c.ts'],
      ['lib/f.ts', 'lib/g.ts'],
    ]);
    expect(importCycles(graph, true)).toEqual([]);
  });
});
