// The chart with real helm: lint, values.schema.json, what the templates render, CRD templates in
// sync with crds/ (the source of truth).
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../env/paths.js';
import { envInfo } from '../../helpers/env.js';
import { CHART_DIR, FULL_VALUES, exec, find, helm, one, render, renderText, type K8sObject } from './helpers.js';

const NS = 'media';

function containers(o: K8sObject): any[] {
  return o.spec.template?.spec.containers ?? o.spec.containers;
}

function env(o: K8sObject): Record<string, any> {
  return Object.fromEntries(
    (containers(o)[0].env as { name: string; value?: string; valueFrom?: unknown }[]).map((e) => [e.name, e.value ?? e.valueFrom]),
  );
}

test('CRD templates are in sync with crds/ (hack/sync-chart-crds.sh)', async () => {
  const out = mkdtempSync(join(envInfo().dir, 'chart-crds-'));
  const r = await exec('bash', [join(REPO_ROOT, 'hack', 'sync-chart-crds.sh'), out]);
  expect(r.stderr).toContain('wrote 3 CRD templates');
  const committed = join(CHART_DIR, 'templates', 'crds');
  expect(readdirSync(committed).sort()).toEqual(readdirSync(join(REPO_ROOT, 'crds')).sort());
  for (const f of readdirSync(out)) {
    expect(`${f}:\n${readFileSync(join(committed, f), 'utf8')}`).toBe(`${f}:\n${readFileSync(join(out, f), 'utf8')}`);
  }
});

test('helm lint passes with default and full values', async () => {
  for (const args of [[], ['--values', FULL_VALUES]]) {
    const r = await helm(['lint', '--strict', CHART_DIR, ...args]);
    expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({
      code: 0,
      out: expect.stringContaining('1 chart(s) linted, 0 chart(s) failed'),
    });
  }
});

test('values.schema.json rejects bad values with a message naming the field', async () => {
  const cases: [string[], RegExp][] = [
    [['--set', 'operator.replicas=0'], /operator\.replicas|replicas.*minimum/],
    [['--set', 'rbac.scope=Everywhere'], /rbac\.scope|scope/],
    [['--set', 'runner.concurrency=two'], /runner\.concurrency|concurrency/],
    [['--set', 'runner.autoscaling.hpa.enabled=true', '--set', 'runner.autoscaling.keda.enabled=true'], /autoscaling/],
    [['--set', 'apiServer.publicUrl=ftp://x'], /publicUrl/],
    [['--set', 'aws.stackPrincipal=bob'], /stackPrincipal/],
    [['--set', 'unknownKey=1'], /unknownKey|additional/i],
  ];
  for (const [args, message] of cases) {
    const r = await helm(['template', 'ct', CHART_DIR, ...args]);
    expect({ args, code: r.code }).toEqual({ args, code: 1 });
    expect(r.stderr).toMatch(message);
  }
});

describe('default values', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await render(NS);
  });

  test('render the three components, their RBAC, Secrets, PDBs and CRDs kept on uninstall', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    for (const name of ['ct-cloudtranscode-operator', 'ct-cloudtranscode-api-server', 'ct-cloudtranscode-runner']) {
      expect(kinds).toContain(`Deployment/${name}`);
      expect(kinds).toContain(`ServiceAccount/${name}`);
    }
    expect(kinds).toEqual(expect.arrayContaining(['Service/ct-cloudtranscode-api-server', 'Pod/ct-cloudtranscode-test-api-server']));
    expect(find(objects, 'Role')).toHaveLength(2);
    expect(find(objects, 'PodDisruptionBudget')).toHaveLength(2);
    expect(find(objects, 'Ingress')).toHaveLength(0);
    const crds = find(objects, 'CustomResourceDefinition');
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([
      'transcodeclients.cloudtranscode.io',
      'transcodejobs.cloudtranscode.io',
      'transcoderunners.cloudtranscode.io',
    ]);
    for (const c of crds) expect(c.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
  });

  test('every pod runs restricted: non-root, RuntimeDefault seccomp, no capabilities, read-only root, /tmp on an emptyDir', () => {
    const pods = [...find(objects, 'Deployment'), ...find(objects, 'Pod')];
    expect(pods).toHaveLength(4);
    for (const p of pods) {
      const spec = p.spec.template?.spec ?? p.spec;
      expect({ name: p.metadata.name, pod: spec.securityContext }).toMatchObject({
        name: p.metadata.name,
        pod: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      });
      for (const c of containers(p)) {
        expect({ name: p.metadata.name, sc: c.securityContext }).toMatchObject({
          name: p.metadata.name,
          sc: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, runAsNonRoot: true },
        });
        expect(c.resources.requests).toBeDefined();
        expect(c.resources.limits.memory).toBeDefined();
      }
      if (p.kind === 'Deployment') {
        expect(spec.volumes).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'tmp', emptyDir: expect.any(Object) })]));
        expect(containers(p)[0].volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
      }
    }
  });

  test('operator: leader election on a Lease in the release namespace, watches the release namespace, probes', () => {
    const op = one(objects, 'Deployment', '-operator');
    expect(op.spec.replicas).toBeGreaterThanOrEqual(1);
    expect(containers(op)[0].args).toEqual(['dist/operator/main.js']);
    expect(env(op)).toMatchObject({
      CT_NAMESPACE: NS,
      CT_LEADER_ELECTION: 'true',
      CT_LEASE_NAME: 'ct-cloudtranscode-operator',
      CT_LEASE_NAMESPACE: NS,
      CT_LEASE_DURATION_MS: '15000',
      CT_HTTP_PORT: '8081',
      POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    expect(containers(op)[0].livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(containers(op)[0].readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
  });

  test('api-server: public URL of its Service, admin token from a generated Secret, Service with session affinity', () => {
    const api = one(objects, 'Deployment', '-api-server');
    expect(containers(api)[0].args).toEqual(['dist/api-server/main.js']);
    expect(env(api)).toMatchObject({
      CT_NAMESPACE: NS,
      CT_PUBLIC_URL: `http://ct-cloudtranscode-api-server.${NS}.svc:80`,
      CT_HTTP_PORT: '8080',
      CT_MAX_UPLOAD_BYTES: '21474836480',
      CT_ADMIN_TOKEN: { secretKeyRef: { name: 'ct-cloudtranscode-admin-token', key: 'token' } },
    });
    const admin = one(objects, 'Secret', '-admin-token');
    expect(Buffer.from(admin.data.token, 'base64').toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    const svc = one(objects, 'Service', '-api-server');
    expect(svc.spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'ClientIP',
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    });
  });

  test('runner: no Kubernetes token, registration token from the labelled Secret, work dir on /tmp', () => {
    const runner = one(objects, 'Deployment', '-runner');
    expect(runner.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(one(objects, 'ServiceAccount', '-runner').automountServiceAccountToken).toBe(false);
    expect(containers(runner)[0].args).toEqual(['dist/runner/main.js', 'server']);
    expect(env(runner)).toMatchObject({
      CT_RUNNER_URL: `http://ct-cloudtranscode-api-server.${NS}.svc:80`,
      CT_RUNNER_REGISTRATION_TOKEN: { secretKeyRef: { name: 'ct-cloudtranscode-registration-token', key: 'token' } },
      CT_RUNNER_CONCURRENCY: '2',
      CT_RUNNER_CONFIG: '/tmp/ct-runner/config.yaml',
      CT_RUNNER_WORK_DIR: '/tmp/ct-runner/work',
    });
    const secret = one(objects, 'Secret', '-registration-token');
    expect(secret.metadata.labels?.['cloudtranscode.io/registration-token']).toBe('true');
    expect(Buffer.from(secret.data.token, 'base64').toString()).toMatch(/^ptrrt-[A-Za-z0-9]{40}$/);
    expect(runner.spec.replicas).toBe(1);
  });
});

test('tokens: a given value is used, two renders without one generate different random values', async () => {
  const token = (objs: K8sObject[]) => Buffer.from(one(objs, 'Secret', '-registration-token').data.token, 'base64').toString();
  expect(token(await render(NS, { set: ['registrationToken.value=ptrrt-fixed-value'] }))).toBe('ptrrt-fixed-value');
  expect(token(await render(NS))).not.toBe(token(await render(NS)));
});

test('crds.enabled=false leaves the CRDs out; crds.keep=false drops the keep policy', async () => {
  expect(find(await render(NS, { set: ['crds.enabled=false'] }), 'CustomResourceDefinition')).toHaveLength(0);
  for (const crd of find(await render(NS, { set: ['crds.keep=false'] }), 'CustomResourceDefinition')) {
    expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBeUndefined();
  }
});

describe('full values', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await render(NS, { valuesFiles: [FULL_VALUES] });
  });

  test('optional objects are rendered: Ingress, ScaledObject, ServiceMonitors, NetworkPolicies, ClusterRoles', () => {
    const count = (kind: string) => find(objects, kind).length;
    expect({
      Ingress: count('Ingress'),
      ScaledObject: count('ScaledObject'),
      HorizontalPodAutoscaler: count('HorizontalPodAutoscaler'),
      ServiceMonitor: count('ServiceMonitor'),
      NetworkPolicy: count('NetworkPolicy'),
      ClusterRole: count('ClusterRole'),
      PodDisruptionBudget: count('PodDisruptionBudget'),
      Secret: count('Secret'),
    }).toEqual({
      Ingress: 1,
      ScaledObject: 1,
      HorizontalPodAutoscaler: 0,
      ServiceMonitor: 2,
      NetworkPolicy: 3,
      ClusterRole: 2,
      PodDisruptionBudget: 3,
      Secret: 0,
    });
  });

  test('AWS credentials from the existing Secret, IRSA annotations on the ServiceAccounts, image by digest', () => {
    const op = one(objects, 'Deployment', '-operator');
    expect(containers(op)[0].image).toBe(
      'registry.example.com/cloudtranscode@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    );
    expect(env(op)).toMatchObject({
      AWS_REGION: 'eu-west-1',
      CT_AWS_ENDPOINT: 'http://moto.aws-emulator.svc:5000',
      CT_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: { secretKeyRef: { name: 'aws-credentials', key: 'access-key-id' } },
      AWS_SECRET_ACCESS_KEY: { secretKeyRef: { name: 'aws-credentials', key: 'secret-access-key' } },
      CT_STACK_PRINCIPAL: 'arn:aws:iam::123456789012:role/cloudtranscode-stack',
      CT_NAMESPACE: '',
      CT_LEASE_NAME: 'ct-leader',
    });
    expect(one(objects, 'ServiceAccount', 'ct-operator-sa').metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/ct-operator',
    });
    // The runner uses an existing ServiceAccount: none rendered for it.
    expect(find(objects, 'ServiceAccount', '-runner')).toHaveLength(0);
    expect(one(objects, 'Deployment', '-runner').spec.template.spec.serviceAccountName).toBe('media-runner');
  });

  test('runner autoscaled by KEDA on pending tasks: no fixed replicas, metrics-api trigger on the api-server', () => {
    const runner = one(objects, 'Deployment', '-runner');
    expect(runner.spec.replicas).toBeUndefined();
    expect(env(runner)).toMatchObject({
      CT_RUNNER_JOB_TYPES: 'vod-web-video-transcoding,vod-hls-transcoding,ct-video-transcoding,ct-thumbnails',
    });
    const so = one(objects, 'ScaledObject');
    expect(so.spec.scaleTargetRef.name).toBe(runner.metadata.name);
    expect(so.spec.triggers[0]).toMatchObject({
      type: 'metrics-api',
      metadata: {
        url: `http://ct-api-server.${NS}.svc:443/metrics`,
        format: 'prometheus',
        valueLocation: 'ct_api_tasks{state="Pending"}',
        targetValue: '3',
      },
    });
  });

  test('Ingress routes to the api-server Service and the public URL is the configured one', () => {
    const ing = one(objects, 'Ingress');
    expect(ing.spec.ingressClassName).toBe('nginx');
    expect(ing.spec.rules[1].http.paths.map((p: any) => p.path)).toEqual(['/api/v1/runners', '/socket.io']);
    expect(ing.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'ct-api-server', port: { name: 'http' } });
    expect(env(one(objects, 'Deployment', '-api-server')).CT_PUBLIC_URL).toBe('https://transcode.example.com');
  });
});

test('the public URL defaults to the first Ingress host', async () => {
  const text = await renderText(NS, {
    set: [
      'apiServer.ingress.enabled=true',
      'apiServer.ingress.tls[0].secretName=t',
      'apiServer.ingress.tls[0].hosts[0]=transcode.example.com',
    ],
  });
  expect(text).toContain('value: "https://transcode.example.com"');
});
