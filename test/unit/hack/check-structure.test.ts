// hack/check-structure.ts: the product code keeps to the size limits, and the check does catch a
// file or a function over them (fixtures written below), while data literals stay exempt.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSource, checkStructure, formatFinding, MAX_FILE_LINES, MAX_FUNCTION_LINES } from '../../../hack/check-structure.js';

const statements = (n: number) => Array.from({ length: n }, (_, i) => `  x += ${i};`).join('\n');
const rows = (n: number) => Array.from({ length: n }, (_, i) => `    { name: 'r${i}', value: ${i} },`).join('\n');

test('the product folders have no file over 400 lines and no function over 120 lines', () => {
  const findings = checkStructure(process.cwd());
  expect(findings.map(formatFinding)).toEqual([]);
});

test('a function of 121 lines is reported, one of 120 is not', () => {
  const long = `export function long(): number {\n  let x = 0;\n${statements(117)}\n  return x;\n}\n`;
  const ok = `export function ok(): number {\n  let x = 0;\n${statements(116)}\n  return x;\n}\n`;
  const found = checkSource('long.ts', long);
  expect(found).toEqual([{ file: 'long.ts', line: 1, kind: 'function', name: 'long', lines: 121, limit: MAX_FUNCTION_LINES }]);
  expect(checkSource('ok.ts', ok)).toEqual([]);
});

test('arrows and methods are measured and named; a nested function counts in its outer one', () => {
  const text = [
    'export const factory = () => {',
    '  const inner = function (): number {',
    '    let x = 0;',
    statements(125),
    '    return x;',
    '  };',
    '  return inner;',
    '};',
    'class K {',
    '  method(): number {',
    '    let x = 0;',
    statements(130),
    '    return x;',
    '  }',
    '}',
    'export { K };',
  ].join('\n');
  const names = checkSource('f.ts', text).map((f) => `${f.name}:${f.lines}`);
  expect(names).toEqual(['factory:132', 'inner:129', 'method:134']);
});

test('data literals do not count; a literal holding functions does', () => {
  const table = `export function table() {\n  const t = [\n${rows(300)}\n  ];\n  return t;\n}\n`;
  expect(checkSource('table.ts', table)).toEqual([]);
  const methods = Array.from({ length: 130 }, (_, i) => `    m${i}() { return ${i}; },`).join('\n');
  const handlers = `export function handlers() {\n  return {\n${methods}\n  };\n}\n`;
  expect(checkSource('handlers.ts', handlers).map((f) => [f.name, f.lines])).toEqual([['handlers', 134]]);
});

test('a file over 400 lines is reported, even made of data; one of 400 is not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'structure-'));
  try {
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'lib', 'big.ts'), `export const t = [\n${rows(MAX_FILE_LINES - 1)}\n];\n`);
    writeFileSync(join(dir, 'lib', 'fits.ts'), `export const t = [\n${rows(MAX_FILE_LINES - 2)}\n];\n`);
    expect(checkStructure(dir, ['lib']).map(formatFinding)).toEqual([`lib/big.ts: ${MAX_FILE_LINES + 1} lines (limit ${MAX_FILE_LINES})`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
