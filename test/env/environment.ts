// The whole test environment: control plane + moto + CRDs, described by one JSON/env file.
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { startMoto, type Moto } from './moto.js';
import { installCrds } from './crds.js';

export interface EnvironmentInfo {
  dir: string;
  kubeconfig: string;
  server: string;
  token: string;
  caFile: string;
  kubectl: string;
  awsEndpoint: string;
  awsRegion: string;
  awsAccessKeyId: string;
  awsSecretAccessKey: string;
  pids: number[];
}

export interface Environment {
  info: EnvironmentInfo;
  controlPlane: ControlPlane;
  moto: Moto;
  stop(): Promise<void>;
}

export async function startEnvironment(dir: string, parentPid?: number): Promise<Environment> {
  mkdirSync(dir, { recursive: true });
  const [controlPlane, moto] = await Promise.all([
    startControlPlane({ dir, ...(parentPid ? { parentPid } : {}) }),
    startMoto({ dir, ...(parentPid ? { parentPid } : {}) }),
  ]);
  const kc = new KubeConfig();
  kc.loadFromFile(controlPlane.kubeconfig);
  await installCrds(kc);
  const info: EnvironmentInfo = {
    dir,
    kubeconfig: controlPlane.kubeconfig,
    server: controlPlane.server,
    token: controlPlane.token,
    caFile: controlPlane.caFile,
    kubectl: controlPlane.kubectl,
    awsEndpoint: moto.endpoint,
    awsRegion: moto.region,
    awsAccessKeyId: moto.accessKeyId,
    awsSecretAccessKey: moto.secretAccessKey,
    pids: [...controlPlane.processes.map((p) => p.pid), moto.process.pid],
  };
  writeFileSync(join(dir, 'env.json'), JSON.stringify(info, null, 2));
  writeFileSync(join(dir, 'env'), envFileText(info));
  return {
    info,
    controlPlane,
    moto,
    async stop() {
      await Promise.all([controlPlane.stop(), moto.stop()]);
    },
  };
}

/** Environment variables our components and the AWS/kubectl CLIs read. */
export function envVars(info: EnvironmentInfo): Record<string, string> {
  return {
    KUBECONFIG: info.kubeconfig,
    AWS_ENDPOINT_URL: info.awsEndpoint,
    CT_AWS_ENDPOINT: info.awsEndpoint,
    CT_S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: info.awsRegion,
    AWS_DEFAULT_REGION: info.awsRegion,
    AWS_ACCESS_KEY_ID: info.awsAccessKeyId,
    AWS_SECRET_ACCESS_KEY: info.awsSecretAccessKey,
  };
}

export function envFileText(info: EnvironmentInfo): string {
  const vars = Object.entries(envVars(info)).map(([k, v]) => `export ${k}=${JSON.stringify(v)}`);
  // kubectl of the same version as the apiserver, first on PATH.
  vars.push(`export PATH=${JSON.stringify(dirname(info.kubectl))}:"$PATH"`);
  return vars.join('\n') + '\n';
}

export function readEnvironmentInfo(dir: string): EnvironmentInfo {
  return JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8')) as EnvironmentInfo;
}
