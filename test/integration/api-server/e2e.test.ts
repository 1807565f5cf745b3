// End to end, all real processes: operator (dist/operator/main.js) + api-server + our runner
// (dist/runner/main.js) against the test apiserver and moto. Register → video upload through the
// video API → the TranscodeJob Succeeds and its outputs (HLS master + thumbnail) are in S3.
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { spawnManaged, freePort, waitFor, type ManagedProcess } from '../../env/process.js';
import { spawnRunner } from '../../env/components.js';
import { envVars } from '../../env/environment.js';
import { REPO_ROOT } from '../../env/paths.js';
import { envInfo, uniqueName } from '../../helpers/env.js';
import { generateClip } from '../../helpers/media.js';
import { API_VERSION, GROUP, VERSION } from '../../../lib/kube/resources.js';
import type { TranscodeClient } from '../../../lib/schema/transcode-client.js';
import {
  core,
  createNamespace,
  createRegistrationSecret,
  form,
  getJob,
  objects,
  postForm,
  s3,
  send,
  startApiServer,
  type ApiServerProcess,
} from './harness.js';

const procs: (ManagedProcess | ApiServerProcess)[] = [];
afterAll(async () => {
  for (const p of procs.reverse()) await p.stop();
});

test('register → upload → job Succeeded with HLS and thumbnail in S3', async () => {
  const info = envInfo();
  const ns = await createNamespace('api-e2e');
  const apiKey = `e2e-key-${uniqueName('k')}`;
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'e2e-api' }, stringData: { apiKey } } });
  await objects.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: 'transcodeclients',
    body: {
      apiVersion: API_VERSION,
      kind: 'TranscodeClient',
      metadata: { name: 'e2e' },
      spec: { principal: '*', apiKeySecretRef: { name: 'e2e-api' } },
    },
  });
  const operator = spawnManaged('operator', process.execPath, [join(REPO_ROOT, 'dist', 'operator', 'main.js')], {
    logFile: join(info.dir, `operator-${ns}.log`),
    env: {
      ...process.env,
      ...envVars(info),
      CT_NAMESPACE: ns,
      CT_HTTP_PORT: String(await freePort()),
      CT_HTTP_HOST: '127.0.0.1',
      CT_LEADER_ELECTION: 'false',
      CT_RESOURCE_PREFIX: `e2e${Date.now().toString(36)}-`,
      CT_SWF_DOMAIN: uniqueName('e2e'),
      CT_SWF_POLL_BACKOFF_MS: '300',
    },
  });
  procs.push(operator);
  const api = await startApiServer(ns);
  procs.push(api);
  const client = await waitFor(
    `client buckets ready (operator log ${operator.logFile})`,
    async () => {
      const c = (await objects.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: 'transcodeclients',
        name: 'e2e',
      })) as TranscodeClient;
      return c.status?.buckets?.input && c.status.buckets.output ? c : undefined;
    },
    90_000,
  );
  const { token } = await createRegistrationSecret(ns);
  const work = mkdtempSync(join(info.dir, 'e2e-runner-'));
  const runner = spawnRunner(info, {
    url: api.url,
    registrationToken: token,
    name: 'e2e-runner',
    dir: work,
    logFile: join(info.dir, `runner-${ns}.log`),
    env: { CT_RUNNER_CONCURRENCY: '2' },
  });
  procs.push(runner);

  const clip = await generateClip(join(work, 'clip.mp4'), { durationSec: 3, width: 640, height: 360, fps: 25 });
  const up = await waitFor('upload accepted (client known to the api-server)', async () => {
    const r = await postForm(
      `${api.url}/api/v1/videos/upload`,
      form({ name: 'e2e clip' }, [{ field: 'videoFile', name: 'clip.mp4', data: readFileSync(clip), type: 'video/mp4' }]),
      {
        'x-api-key': apiKey,
      },
    );
    return r.status === 200 ? r : undefined;
  });
  const { id, uuid } = up.body.video;
  const job = await waitFor(
    `job ${id} finished (logs: ${operator.logFile}, ${runner.logFile}, ${api.proc.logFile})`,
    async () => {
      const j = await getJob(ns, id);
      if (j.status?.phase === 'Failed' || j.status?.phase === 'Canceled')
        throw new Error(`job ended ${j.status.phase}: ${j.status.reason} ${j.status.message}`);
      return j.status?.phase === 'Succeeded' ? j : undefined;
    },
    300_000,
    1000,
  );
  expect(job.status?.tasks?.every((t) => t.state === 3)).toBe(true);
  const out = client.status!.buckets!.output!;
  await s3.send(new HeadObjectCommand({ Bucket: out, Key: `video-${uuid}/thumbnail.jpg` }));
  const master = await (await s3.send(new GetObjectCommand({ Bucket: out, Key: `video-${uuid}/master.m3u8` }))).Body!.transformToString();
  expect(master).toContain('#EXT-X-STREAM-INF');
  const state = await send(`${api.url}/api/v1/videos/${uuid}`, { headers: { 'x-api-key': apiKey } });
  expect(state.body.video.state.phase).toBe('Succeeded');
  expect(state.body.video.outputs.every((o: any) => o.status === 'Succeeded')).toBe(true);
}, 420_000);
