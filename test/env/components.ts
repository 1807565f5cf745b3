// Our own processes (operator, api-server, runners) started against an environment: used by the
// end-to-end tests and by the local stack, so both run the system the same way.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { envVars, type EnvironmentInfo } from './environment.js';
import { spawnManaged, freePort, waitFor, type ManagedProcess } from './process.js';
import { REPO_ROOT } from './paths.js';
import { LABEL_REGISTRATION_TOKEN } from '../../lib/kube/resources.js';
import { statusOf } from '../../lib/kube/client.js';

export interface ComponentOptions {
  /** Where logs and runner work dirs go. */
  dir: string;
  namespace?: string;
  parentPid?: number;
  apiPort?: number;
  /** Extra environment for every component (e.g. CT_STALL_SECONDS). */
  env?: Record<string, string>;
}

export interface Components {
  apiUrl: string;
  adminToken: string;
  registrationToken: string;
  logs: Record<string, string>;
  processes: ManagedProcess[];
  startOperator(name?: string, env?: Record<string, string>): Promise<ManagedProcess>;
  startApiServer(name?: string, env?: Record<string, string>): Promise<{ proc: ManagedProcess; url: string }>;
  startRunner(name: string, env?: Record<string, string>): ManagedProcess;
  stop(): Promise<void>;
}

export interface RunnerOptions {
  url: string;
  registrationToken: string;
  name: string;
  /** Work dir and config file go below it. */
  dir: string;
  logFile: string;
  env?: Record<string, string>;
  parentPid?: number;
}

/** Our runner as a real process, configured through its command-line flags like a user would. */
export function spawnRunner(info: EnvironmentInfo, o: RunnerOptions): ManagedProcess {
  const file = join(REPO_ROOT, 'dist', 'runner', 'main.js');
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build`);
  const args = [file, '--url', o.url, '--registration-token', o.registrationToken, '--name', o.name];
  args.push('--work-dir', join(o.dir, `${o.name}-work`), '--config', join(o.dir, `${o.name}-config.yaml`));
  return spawnManaged(`runner ${o.name}`, process.execPath, args, {
    logFile: o.logFile,
    env: { ...process.env, ...envVars(info), ...(o.env ?? {}) },
    ...(o.parentPid ? { parentPid: o.parentPid } : {}),
  });
}

export async function prepareComponents(info: EnvironmentInfo, opts: ComponentOptions): Promise<Components> {
  const namespace = opts.namespace ?? 'default';
  const base = { ...process.env, ...envVars(info), ...(opts.env ?? {}) };
  const adminToken = randomBytes(16).toString('hex');
  const registrationToken = `ptrrt-${randomBytes(16).toString('hex')}`;
  const logs: Record<string, string> = {};
  const processes: ManagedProcess[] = [];

  // The runners' registration token, as the Helm chart provides it: a labelled Secret.
  const kc = new KubeConfig();
  kc.loadFromFile(info.kubeconfig);
  try {
    await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: `runner-registration-${randomBytes(3).toString('hex')}`, labels: { [LABEL_REGISTRATION_TOKEN]: 'true' } },
        stringData: { token: registrationToken },
      },
    });
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
  }

  const spawnNode = (name: string, script: string, env: Record<string, string>): ManagedProcess => {
    const file = join(REPO_ROOT, 'dist', script);
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build`);
    logs[name] = join(opts.dir, `${name}.log`);
    const p = spawnManaged(name, process.execPath, [file], {
      logFile: logs[name]!,
      env: { ...base, ...env },
      ...(opts.parentPid ? { parentPid: opts.parentPid } : {}),
    });
    processes.push(p);
    return p;
  };

  const apiPort = opts.apiPort ?? (await freePort());
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  return {
    apiUrl,
    adminToken,
    registrationToken,
    logs,
    processes,
    async startOperator(name = 'operator', env = {}) {
      const port = await freePort();
      const p = spawnNode(name, 'operator/main.js', {
        CT_HTTP_PORT: String(port),
        CT_STACK_PRINCIPAL: 'arn:aws:iam::123456789012:root',
        CT_OPERATOR_ID: name,
        ...env,
      });
      await waitFor(
        `${name} /healthz`,
        async () => {
          if (p.child.exitCode !== null) throw new Error(`${name} exited; see ${p.logFile}`);
          return (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok ? true : undefined;
        },
        60_000,
        300,
      );
      return p;
    },
    async startApiServer(name = 'api-server', env = {}) {
      const port = name === 'api-server' ? apiPort : await freePort();
      const url = `http://127.0.0.1:${port}`;
      const p = spawnNode(name, 'api-server/main.js', {
        CT_HTTP_PORT: String(port),
        CT_PUBLIC_URL: url,
        CT_ADMIN_TOKEN: adminToken,
        ...env,
      });
      await waitFor(
        `${name} /readyz`,
        async () => {
          if (p.child.exitCode !== null) throw new Error(`${name} exited; see ${p.logFile}`);
          return (await fetch(`${url}/readyz`).catch(() => undefined))?.ok ? true : undefined;
        },
        60_000,
        300,
      );
      return { proc: p, url };
    },
    startRunner(name, env = {}) {
      logs[name] = join(opts.dir, `${name}.log`);
      const p = spawnRunner(info, {
        url: apiUrl,
        registrationToken,
        name,
        dir: opts.dir,
        logFile: logs[name]!,
        env: { ...(opts.env ?? {}), ...env },
        ...(opts.parentPid ? { parentPid: opts.parentPid } : {}),
      });
      processes.push(p);
      return p;
    },
    async stop() {
      for (const p of [...processes].reverse()) await p.stop();
    },
  };
}
