// Starts one real environment (etcd, kube-apiserver, moto, CRDs) for the whole jest run.
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEnvironment, type Environment } from '../env/environment.js';

declare global {
  var __ctEnvironment: Environment | undefined;
}

export default async function globalSetup(): Promise<void> {
  const base = process.env['CT_TEST_RUN_DIR'] ?? join(tmpdir(), 'ct-test-run');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'env-'));
  const started = Date.now();
  const env = await startEnvironment(dir);
  globalThis.__ctEnvironment = env;
  process.env['CT_TEST_ENV_DIR'] = dir;
  console.log(`\n[test-env] control plane ${env.info.server} + moto ${env.info.awsEndpoint} ready in ${Date.now() - started} ms (${dir})`);
}
