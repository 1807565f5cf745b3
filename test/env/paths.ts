// Where hack/install-tools.sh put the real components (same layout as hack/lib.sh).
import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'hack', 'versions.env'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (hack/versions.env) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot();

function versions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(REPO_ROOT, 'hack', 'versions.env'), 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

const v = versions();
export const CACHE_DIR =
  process.env['CT_CACHE_DIR'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'cloudtranscode-k8s');
export const KUBE_BIN = join(CACHE_DIR, `kube-${v['KUBE_VERSION']}-etcd-${v['ETCD_VERSION']}`, 'bin');
export const HELM_BIN = join(CACHE_DIR, `helm-${v['HELM_VERSION']}`, 'bin', 'helm');
export const MOTO_BIN = join(CACHE_DIR, `moto-${v['MOTO_VERSION']}`, 'venv', 'bin', 'moto_server');
export const SUPERVISE = join(REPO_ROOT, 'hack', 'supervise.sh');

export function requireTool(path: string, what: string): string {
  if (!existsSync(path)) throw new Error(`${what} not found at ${path}: run hack/install-tools.sh first`);
  return path;
}
