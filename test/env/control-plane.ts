// A real control plane for tests and the local stack: etcd + kube-apiserver on loopback, token
// authentication, RBAC authorization, and a kubeconfig for an admin user.
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { KUBE_BIN, requireTool } from './paths.js';
import { spawnManaged, freePort, waitFor, type ManagedProcess } from './process.js';

export interface ControlPlane {
  server: string;
  kubeconfig: string;
  token: string;
  caFile: string;
  kubectl: string;
  processes: ManagedProcess[];
  /** Stop kube-apiserver only (etcd keeps the data), to test watch recovery. */
  stopApiserver(): Promise<void>;
  startApiserver(): Promise<void>;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  dir: string;
  parentPid?: number;
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const etcdBin = requireTool(join(KUBE_BIN, 'etcd'), 'etcd');
  const apiBin = requireTool(join(KUBE_BIN, 'kube-apiserver'), 'kube-apiserver');
  const kubectl = requireTool(join(KUBE_BIN, 'kubectl'), 'kubectl');
  const dir = opts.dir;
  mkdirSync(join(dir, 'certs'), { recursive: true });

  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcd = spawnManaged(
    'etcd',
    etcdBin,
    [
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    { logFile: join(dir, 'etcd.log'), parentPid: opts.parentPid },
  );

  // Credentials: an admin bearer token and the service-account signing key pair.
  const tokenFile = join(dir, 'tokens.csv');
  let token: string;
  if (existsSync(tokenFile)) {
    token = readFileSync(tokenFile, 'utf8').split(',')[0]!;
  } else {
    token = randomBytes(24).toString('hex');
    writeFileSync(tokenFile, `${token},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }

  const caFile = join(dir, 'certs', 'apiserver.crt');
  const server = `https://127.0.0.1:${apiPort}`;
  const apiArgs = [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--cert-dir=${join(dir, 'certs')}`,
    `--token-auth-file=${tokenFile}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${join(dir, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    '--allow-privileged=true',
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    '--v=0',
  ];
  const procs: ManagedProcess[] = [etcd];
  let api: ManagedProcess | undefined;

  const startApiserver = async () => {
    api = spawnManaged('kube-apiserver', apiBin, apiArgs, { logFile: join(dir, 'kube-apiserver.log'), parentPid: opts.parentPid });
    procs.push(api);
    const started = api;
    await waitFor(
      'kube-apiserver /readyz',
      async () => {
        if (started.child.exitCode !== null) throw new Error(`kube-apiserver exited; see ${started.logFile}`);
        if (!existsSync(caFile)) return undefined;
        return (await getStatus(`${server}/readyz`, token, caFile)) === 200 ? true : undefined;
      },
      120_000,
      250,
    );
  };

  await waitFor('etcd', async () => {
    if (etcd.child.exitCode !== null) throw new Error(`etcd exited; see ${etcd.logFile}`);
    const res = await fetch(`http://127.0.0.1:${etcdPort}/health`).catch(() => undefined);
    return res?.ok ? true : undefined;
  });
  await startApiserver();

  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { server, 'certificate-authority': caFile } }],
      users: [{ name: 'admin', user: { token } }],
      contexts: [{ name: 'local', context: { cluster: 'local', user: 'admin', namespace: 'default' } }],
      'current-context': 'local',
    }),
    { mode: 0o600 },
  );

  return {
    server,
    kubeconfig,
    token,
    caFile,
    kubectl,
    processes: procs,
    async stopApiserver() {
      await api?.stop();
    },
    startApiserver,
    async stop() {
      await api?.stop();
      await etcd.stop();
    },
  };
}

function getStatus(url: string, token: string, caFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Authorization: `Bearer ${token}` }, ca: readFileSync(caFile), timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}
