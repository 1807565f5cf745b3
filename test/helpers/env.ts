// Test access to the environment started by the jest global setup.
import { KubeConfig } from '@kubernetes/client-node';
import { readEnvironmentInfo, envVars, type EnvironmentInfo } from '../env/environment.js';

export function envInfo(): EnvironmentInfo {
  const dir = process.env['CT_TEST_ENV_DIR'];
  if (!dir) throw new Error('CT_TEST_ENV_DIR is not set: run the tests through `npm test` (jest global setup)');
  return readEnvironmentInfo(dir);
}

export function kubeConfigForTests(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(envInfo().kubeconfig);
  return kc;
}

/** Point this process's AWS SDK clients and kube clients at the test environment. */
export function useTestEnvironment(): EnvironmentInfo {
  const info = envInfo();
  Object.assign(process.env, envVars(info));
  return info;
}

let counter = 0;
/** A namespace name unique to this test file and call, so tests do not see each other's objects. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid.toString(36)}-${Date.now().toString(36).slice(-4)}${counter}`.toLowerCase();
}
