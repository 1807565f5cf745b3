// Real helm and kubectl for the chart tests: render the chart, hand objects to the test kube-apiserver.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { HELM_BIN, REPO_ROOT, requireTool } from '../../env/paths.js';
import { envInfo } from '../../helpers/env.js';

const run = promisify(execFile);
export const CHART_DIR = join(REPO_ROOT, 'charts', 'cloudtranscode');
export const FULL_VALUES = join(REPO_ROOT, 'test', 'integration', 'chart', 'full-values.yaml');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command and returns its exit code and output instead of throwing on failure. */
export async function exec(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(cmd, args, { maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err; // could not start at all
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function helmEnv(): NodeJS.ProcessEnv {
  // Keep helm's cache/config out of $HOME and away from any real cluster.
  const dir = join(envInfo().dir, 'helm');
  return {
    ...process.env,
    HELM_CACHE_HOME: join(dir, 'cache'),
    HELM_CONFIG_HOME: join(dir, 'config'),
    HELM_DATA_HOME: join(dir, 'data'),
    KUBECONFIG: envInfo().kubeconfig,
  };
}

export async function helm(args: string[]): Promise<CommandResult> {
  return exec(requireTool(HELM_BIN, 'helm'), args, { env: helmEnv() });
}

export async function kubectl(args: string[]): Promise<CommandResult> {
  const info = envInfo();
  return exec(info.kubectl, ['--kubeconfig', info.kubeconfig, ...args]);
}

/** `helm template` → parsed objects; throws with helm's message when rendering fails. */
export async function render(
  namespace: string,
  opts: { valuesFiles?: string[]; set?: string[]; release?: string } = {},
): Promise<K8sObject[]> {
  const text = await renderText(namespace, opts);
  return parseObjects(text);
}

export async function renderText(
  namespace: string,
  opts: { valuesFiles?: string[]; set?: string[]; release?: string } = {},
): Promise<string> {
  const args = ['template', opts.release ?? 'ct', CHART_DIR, '--namespace', namespace];
  for (const f of opts.valuesFiles ?? []) args.push('--values', f);
  for (const s of opts.set ?? []) args.push('--set', s);
  const r = await helm(args);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(`rendered YAML does not parse: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

export function find(objects: K8sObject[], kind: string, nameSuffix = ''): K8sObject[] {
  return objects.filter((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
}

export function one(objects: K8sObject[], kind: string, nameSuffix = ''): K8sObject {
  const found = find(objects, kind, nameSuffix);
  if (found.length !== 1)
    throw new Error(`expected one ${kind} named *${nameSuffix}, found ${found.map((o) => o.metadata.name).join(', ') || 'none'}`);
  return found[0]!;
}

/**
 * Writes objects as one JSON v1 List under the test environment's directory. JSON, not YAML: the
 * yaml library writes YAML 1.2, where `off`/`yes` are plain strings, but kubectl reads them as booleans.
 */
export function writeObjects(objects: K8sObject[], label: string): string {
  const dir = mkdtempSync(join(envInfo().dir, `chart-${label}-`));
  const file = join(dir, 'objects.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 1));
  return file;
}

export async function createNamespace(name: string): Promise<void> {
  const r = await kubectl(['create', 'namespace', name]);
  if (r.code !== 0) throw new Error(`kubectl create namespace ${name}: ${r.stderr}`);
}

/** kubectl apply (real or server-side dry-run); throws with kubectl's message naming the rejected objects. */
export async function apply(objects: K8sObject[], namespace: string, label: string, dryRun: boolean): Promise<string> {
  const file = writeObjects(objects, label);
  const args = ['apply', '-n', namespace, '-f', file];
  if (dryRun) args.push('--dry-run=server');
  const r = await kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}
