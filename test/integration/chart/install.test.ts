// A real `helm install` / `helm upgrade` / `helm uninstall` against the test kube-apiserver (no
// kubelet, so pods never start; the objects are real). The generated tokens must survive upgrades
// (lookup of the live Secret), or every runner would lose its registration on each upgrade.
// CRDs are off here: the test environment installed them already, outside any release.
import { uniqueName } from '../../helpers/env.js';
import { CHART_DIR, createNamespace, helm, kubectl } from './helpers.js';

const ns = uniqueName('chart-install');
const release = 'up';

async function token(secret: string): Promise<string> {
  const r = await kubectl(['get', 'secret', secret, '-n', ns, '-o', 'jsonpath={.data.token}']);
  if (r.code !== 0) throw new Error(`kubectl get secret ${secret}: ${r.stderr}`);
  return Buffer.from(r.stdout, 'base64').toString();
}

async function ok(args: string[]): Promise<string> {
  const r = await helm(args);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  await createNamespace(ns);
});

test('install, upgrade and uninstall; generated tokens are kept across upgrades', async () => {
  const notes = await ok(['install', release, CHART_DIR, '-n', ns, '--set', 'crds.enabled=false']);
  // NOTES.txt tells the user how to create a client and send a first job.
  expect(notes).toContain('kind: TranscodeClient');
  expect(notes).toContain('aws sqs send-message');
  expect(notes).toContain(`get secret up-cloudtranscode-registration-token`);

  const registration = await token('up-cloudtranscode-registration-token');
  const admin = await token('up-cloudtranscode-admin-token');
  expect(registration).toMatch(/^ptrrt-[A-Za-z0-9]{40}$/);
  expect(admin).toMatch(/^[A-Za-z0-9]{48}$/);

  await ok(['upgrade', release, CHART_DIR, '-n', ns, '--set', 'crds.enabled=false', '--set', 'runner.replicas=3']);
  expect(await token('up-cloudtranscode-registration-token')).toBe(registration);
  expect(await token('up-cloudtranscode-admin-token')).toBe(admin);
  const replicas = await kubectl(['get', 'deploy', 'up-cloudtranscode-runner', '-n', ns, '-o', 'jsonpath={.spec.replicas}']);
  expect(replicas.stdout).toBe('3');

  // An explicit value replaces the generated one.
  await ok([
    'upgrade',
    release,
    CHART_DIR,
    '-n',
    ns,
    '--set',
    'crds.enabled=false',
    '--set',
    'registrationToken.value=ptrrt-chosen-by-admin',
  ]);
  expect(await token('up-cloudtranscode-registration-token')).toBe('ptrrt-chosen-by-admin');

  await ok(['uninstall', release, '-n', ns, '--wait']);
  const left = await kubectl([
    'get',
    'deploy,secret,role,serviceaccount',
    '-n',
    ns,
    '-l',
    `app.kubernetes.io/instance=${release}`,
    '-o',
    'name',
  ]);
  expect(left.stdout.trim()).toBe('');
});
