// Size limits of the product code (developers' guide): no file over 400 lines, no function over 120
// lines. Data literals (object/array literals with no function inside) do not count towards a
// function's length: a table is read, not followed. Run by test/unit/lib/structure.test.ts;
// `node dist/hack/check-structure.js` prints the same findings.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const PRODUCT_FOLDERS = ['lib', 'operator', 'api-server', 'runner', 'sdk', 'cli'] as const;
export const MAX_FILE_LINES = 400;
export const MAX_FUNCTION_LINES = 120;

export interface Finding {
  file: string;
  /** 1-based line where the file or function starts. */
  line: number;
  kind: 'file' | 'function';
  /** The function's name as written (or `<anonymous>`), the file's path for a file. */
  name: string;
  lines: number;
  limit: number;
}

export interface Limits {
  fileLines: number;
  functionLines: number;
}

/** Every .ts file below `dir` (declaration files and node_modules left out), sorted. */
export function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry === 'node_modules') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

type FunctionNode =
  | ts.FunctionDeclaration
  | ts.FunctionExpression
  | ts.ArrowFunction
  | ts.MethodDeclaration
  | ts.ConstructorDeclaration
  | ts.GetAccessorDeclaration
  | ts.SetAccessorDeclaration;

function isFunctionNode(n: ts.Node): n is FunctionNode {
  return (
    ts.isFunctionDeclaration(n) ||
    ts.isFunctionExpression(n) ||
    ts.isArrowFunction(n) ||
    ts.isMethodDeclaration(n) ||
    ts.isConstructorDeclaration(n) ||
    ts.isGetAccessorDeclaration(n) ||
    ts.isSetAccessorDeclaration(n)
  );
}

function containsFunction(n: ts.Node): boolean {
  return isFunctionNode(n) || ts.forEachChild(n, (c) => (containsFunction(c) ? true : undefined)) === true;
}

function functionName(n: FunctionNode): string {
  if (n.name && (ts.isIdentifier(n.name) || ts.isStringLiteral(n.name) || ts.isPrivateIdentifier(n.name))) return n.name.text;
  if (ts.isConstructorDeclaration(n)) return 'constructor';
  const p = n.parent;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) return p.name.text;
  if (ts.isPropertyDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  return '<anonymous>';
}

/** Findings of one source text (`file` is only used to name them). */
export function checkSource(
  file: string,
  text: string,
  limits: Limits = { fileLines: MAX_FILE_LINES, functionLines: MAX_FUNCTION_LINES },
): Finding[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line;
  const findings: Finding[] = [];
  const fileLines = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
  if (fileLines > limits.fileLines) findings.push({ file, line: 1, kind: 'file', name: file, lines: fileLines, limit: limits.fileLines });

  /** Lines of the data literals below `n` (outermost ones only; nested functions' bodies included). */
  const dataLines = (n: ts.Node, lines: Set<number>): void => {
    if ((ts.isObjectLiteralExpression(n) || ts.isArrayLiteralExpression(n)) && !containsFunction(n)) {
      for (let l = lineOf(n.getStart(sf)); l <= lineOf(n.getEnd()); l++) lines.add(l);
      return;
    }
    ts.forEachChild(n, (c) => dataLines(c, lines));
  };

  const visit = (n: ts.Node): void => {
    if (isFunctionNode(n) && n.body) {
      const first = lineOf(n.body.getStart(sf));
      const last = lineOf(n.body.getEnd());
      const data = new Set<number>();
      dataLines(n.body, data);
      // A line a literal only starts or ends on (`return {`, `});`) still counts as code.
      data.delete(first);
      data.delete(last);
      const lines = last - first + 1 - [...data].filter((l) => l > first && l < last).length;
      if (lines > limits.functionLines) {
        findings.push({
          file,
          line: lineOf(n.getStart(sf)) + 1,
          kind: 'function',
          name: functionName(n),
          lines,
          limit: limits.functionLines,
        });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return findings;
}

/** Findings of every product file below `root`, paths relative to it. */
export function checkStructure(root: string, folders: readonly string[] = PRODUCT_FOLDERS, limits?: Limits): Finding[] {
  const findings: Finding[] = [];
  for (const folder of folders) {
    for (const path of tsFiles(join(root, folder))) findings.push(...checkSource(relative(root, path), readFileSync(path, 'utf8'), limits));
  }
  return findings;
}

export function formatFinding(f: Finding): string {
  return f.kind === 'file'
    ? `${f.file}: ${f.lines} lines (limit ${f.limit})`
    : `${f.file}:${f.line} function ${f.name}: ${f.lines} lines (limit ${f.limit}, data literals not counted)`;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  // dist/hack/check-structure.js → repo root is two levels up.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const findings = checkStructure(root);
  for (const f of findings) console.log(formatFinding(f));
  console.log(findings.length ? `${findings.length} over the limits` : 'no file or function over the limits');
  process.exitCode = findings.length ? 1 : 0;
}
