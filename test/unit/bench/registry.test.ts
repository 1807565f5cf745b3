// `npm run bench` lists exactly the benchmarks in bench/ (a new file must be registered, a removed one unlisted).
import { readdirSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCHMARKS } from '../../../bench/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('every bench/*.ts entry point is registered, and nothing else', () => {
  const files = readdirSync(join(root, 'bench'))
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.endsWith('-common.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
  expect(Object.keys(BENCHMARKS).sort()).toEqual(files);
});

test('without a name it lists the benchmarks; an unknown name exits 2 with the list', () => {
  const out = execFileSync(process.execPath, [join(root, 'dist', 'bench', 'index.js')], { encoding: 'utf8' });
  for (const name of Object.keys(BENCHMARKS)) expect(out).toContain(`  ${name} `);
  const bad = spawnSync(process.execPath, [join(root, 'dist', 'bench', 'index.js'), 'nope'], { encoding: 'utf8' });
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('unknown benchmark "nope"');
  expect(bad.stderr).toContain('stack-overhead');
});
