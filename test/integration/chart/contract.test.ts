// The chart, the image and the components must agree: every environment variable the chart sets is
// one the component's code reads, every entrypoint the chart runs is built into dist/, and the image
// runs as the user the chart's securityContext expects.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../env/paths.js';
import { FULL_VALUES, one, render, type K8sObject } from './helpers.js';

// Read by the AWS SDK's default credential chain, not by our code.
const SDK_ENV = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
const SOURCES: Record<string, string[]> = {
  operator: ['operator', 'lib'],
  'api-server': ['api-server', 'lib'],
  runner: ['runner', 'lib'],
};

function sourceText(dirs: string[]): string {
  return dirs
    .flatMap((d) =>
      (readdirSync(join(REPO_ROOT, d), { recursive: true }) as string[])
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
        .map((f) => readFileSync(join(REPO_ROOT, d, f), 'utf8')),
    )
    .join('\n');
}

function envNames(deployment: K8sObject): string[] {
  return (deployment.spec.template.spec.containers[0].env as { name: string }[]).map((e) => e.name);
}

test.each([
  ['default', []],
  ['full', [FULL_VALUES]],
])('%s values: every env var the chart sets is read by that component', async (_label, valuesFiles) => {
  const objects = await render('contract', { valuesFiles });
  const unread: string[] = [];
  let checked = 0;
  for (const [component, dirs] of Object.entries(SOURCES)) {
    const text = sourceText(dirs);
    for (const name of envNames(one(objects, 'Deployment', `-${component}`))) {
      if (SDK_ENV.has(name)) continue;
      checked += 1;
      if (!text.includes(`'${name}'`) && !text.includes(`"${name}"`)) unread.push(`${component}: ${name}`);
    }
  }
  expect(unread).toEqual([]);
  expect(checked).toBeGreaterThan(25);
});

test('the entrypoints the chart runs are built into dist/ (npm run build) and the image copies dist/', async () => {
  const objects = await render('contract');
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/COPY --from=build .*\/src\/dist \.\/dist/);
  for (const component of Object.keys(SOURCES)) {
    const entry = one(objects, 'Deployment', `-${component}`).spec.template.spec.containers[0].args[0] as string;
    expect(entry).toBe(`dist/${component}/main.js`);
    expect(existsSync(join(REPO_ROOT, component, 'main.ts'))).toBe(true);
  }
  const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
  for (const needed of ['lib', 'operator', 'api-server', 'runner', 'cli', 'sdk', 'hack', 'crds', 'package.json', 'tsconfig.json']) {
    expect(ignored).not.toContain(needed);
  }
});

test('the image user is the one the chart runs as, and it starts node under tini', async () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const pod = one(await render('contract'), 'Deployment', '-runner').spec.template.spec;
  const uid = /^USER (\d+):(\d+)$/m.exec(dockerfile);
  expect(uid?.slice(1).map(Number)).toEqual([pod.securityContext.runAsUser, pod.securityContext.runAsGroup]);
  expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node"\]$/m);
  expect(dockerfile).toMatch(/apt-get install .*ffmpeg/);
});
