// The import rule of the product code (developers' guide): lib is the bottom layer; api-server,
// operator, runner and sdk stand beside each other on it and never import one another; cli sits on
// sdk; and no module imports itself back through others (no cycles). Run by
// test/unit/hack/check-imports.test.ts; `node dist/hack/check-imports.js` prints the same findings.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { PRODUCT_FOLDERS, tsFiles } from './check-structure.js';

/** Which folders each product folder may import from (besides itself). */
export const MAY_IMPORT: Record<string, readonly string[]> = {
  lib: [],
  'api-server': ['lib'],
  operator: ['lib'],
  runner: ['lib'],
  sdk: ['lib'],
  cli: ['lib', 'sdk'],
};

/** file → the product files it imports (static, dynamic, `export … from`), each with whether only types are imported. */
export type ImportGraph = Map<string, Map<string, { typeOnly: boolean }>>;

/** The repo-relative .ts file a relative specifier names (`./x.js` → `dir/x.ts`), if it exists. */
function resolveSpecifier(root: string, from: string, spec: string): string | undefined {
  const base = resolve(root, dirname(from), spec);
  for (const candidate of [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate)) return relative(root, candidate).split(sep).join('/');
  }
  return undefined;
}

/** Relative module specifiers of one source, each with whether it is only used for types. */
export function importsOf(file: string, text: string): Map<string, boolean> {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const specs = new Map<string, boolean>();
  const add = (spec: ts.Node | undefined, typeOnly: boolean) => {
    if (!spec || !ts.isStringLiteralLike(spec) || !spec.text.startsWith('.')) return;
    specs.set(spec.text, (specs.get(spec.text) ?? true) && typeOnly);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n)) {
      const c = n.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      // `import type {…}`, or `import {type A, type B}` with nothing else: erased from the JavaScript.
      const typeOnly =
        c !== undefined && (c.isTypeOnly || (!c.name && named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(n.moduleSpecifier, typeOnly);
    } else if (ts.isExportDeclaration(n)) {
      const named = n.exportClause && ts.isNamedExports(n.exportClause) ? n.exportClause.elements : undefined;
      add(n.moduleSpecifier, n.isTypeOnly || (named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly)));
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(n.arguments[0], false);
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) {
      add(n.argument.literal, true);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return specs;
}

/** The import graph of every product file below `root`. Unresolvable relative imports are kept as `?spec`. */
export function importGraph(root: string, folders: readonly string[] = PRODUCT_FOLDERS): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const folder of folders) {
    if (!existsSync(join(root, folder))) continue;
    for (const path of tsFiles(join(root, folder))) {
      const file = relative(root, path).split(sep).join('/');
      const targets = new Map<string, { typeOnly: boolean }>();
      for (const [spec, typeOnly] of importsOf(file, readFileSync(path, 'utf8'))) {
        const target = resolveSpecifier(root, file, spec) ?? `?${spec}`;
        targets.set(target, { typeOnly: (targets.get(target)?.typeOnly ?? true) && typeOnly });
      }
      graph.set(file, targets);
    }
  }
  return graph;
}

const folderOf = (file: string) => file.split('/')[0]!;

/** Imports that cross layers the wrong way, as `from → to`. */
export function layerViolations(graph: ImportGraph, mayImport: Record<string, readonly string[]> = MAY_IMPORT): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    const own = folderOf(file);
    for (const target of targets.keys()) {
      if (target.startsWith('?')) {
        out.push(`${file} → ${target.slice(1)} (no such file)`);
        continue;
      }
      const other = folderOf(target);
      if (other !== own && !(mayImport[own] ?? []).includes(other)) out.push(`${file} → ${target} (${own} may not import ${other})`);
    }
  }
  return out;
}

/**
 * Every import cycle, one per strongly connected component (Tarjan), as its files sorted. With
 * `runtimeOnly`, type-only imports (erased from the JavaScript) are left out.
 */
export function importCycles(graph: ImportGraph, runtimeOnly = false): string[][] {
  const edges = (v: string) =>
    [...(graph.get(v) ?? new Map<string, { typeOnly: boolean }>())].filter(([, e]) => !runtimeOnly || !e.typeOnly).map(([w]) => w);
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const strongConnect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges(v)) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || edges(v).includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) strongConnect(v);
  return cycles;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  // dist/hack/check-imports.js → repo root is two levels up.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const graph = importGraph(root);
  const runtime = importCycles(graph, true);
  const typeOnly = importCycles(graph).filter((c) => !runtime.some((r) => c.every((f) => r.includes(f))));
  const problems = [
    ...layerViolations(graph),
    ...runtime.map((c) => `cycle: ${c.join(' ↔ ')}`),
    ...typeOnly.map((c) => `cycle through type-only imports: ${c.join(' ↔ ')}`),
  ];
  for (const p of problems) console.log(p);
  console.log(`${graph.size} files read; ${problems.length ? `${problems.length} problems` : 'imports follow the layers, no cycles'}`);
  process.exitCode = problems.length ? 1 : 0;
}
