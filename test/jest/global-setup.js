// Starts one real environment (etcd, kube-apiserver, moto, CRDs) for the whole jest run.
// Plain JS loading the compiled library: jest loads global setup outside its transform pipeline
// for ESM projects, so `npm run build` (done by hack/test.sh) must come first.
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEnvironment } from '../../dist/test/env/environment.js';

export default async function globalSetup() {
  const base = process.env.CT_TEST_RUN_DIR ?? join(tmpdir(), 'ct-test-run');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'env-'));
  const started = Date.now();
  const env = await startEnvironment(dir);
  globalThis.__ctEnvironment = env;
  process.env.CT_TEST_ENV_DIR = dir;
  console.log(`\n[test-env] control plane ${env.info.server} + moto ${env.info.awsEndpoint} ready in ${Date.now() - started} ms (${dir})`);
}
