// Benchmark: upload throughput through the api-server (video API: multipart → busboy → S3 multipart
// upload, streamed) versus a direct S3 upload (lib-storage) of the same file, both to moto.
import { createReadStream, openAsBlob, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { s3Config } from '../lib/aws/config.js';
import { API_VERSION, GROUP, VERSION } from '../lib/kube/resources.js';
import { apiRssBytes, startBenchEnv } from './api-common.js';

const SIZE_MB = Number(process.env['BENCH_UPLOAD_MB'] ?? 100);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);

const b = await startBenchEnv();
try {
  const s3 = new S3Client(s3Config());
  await s3.send(new CreateBucketCommand({ Bucket: 'bench-in' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'bench-out' }));
  await b.kc.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace: b.namespace,
    body: { metadata: { name: 'bench-api' }, stringData: { apiKey: 'bench-key-0123456789' } },
  });
  const api = b.kc.makeApiClient(CustomObjectsApi);
  const client = (await api.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: b.namespace,
    plural: 'transcodeclients',
    body: {
      apiVersion: API_VERSION,
      kind: 'TranscodeClient',
      metadata: { name: 'bench' },
      spec: { principal: '*', apiKeySecretRef: { name: 'bench-api' } },
    },
  })) as object;
  await api.replaceNamespacedCustomObjectStatus({
    group: GROUP,
    version: VERSION,
    namespace: b.namespace,
    plural: 'transcodeclients',
    name: 'bench',
    body: { ...client, status: { buckets: { input: 'bench-in', output: 'bench-out' } } },
  });
  await new Promise((r) => setTimeout(r, 1500));
  const file = join(b.env.info.dir, 'upload.bin');
  writeFileSync(file, randomBytes(SIZE_MB * 2 ** 20));
  const size = statSync(file).size;
  const rssBefore = await apiRssBytes(b.url);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    apiRssBytes(b.url).then(
      (v) => (rssPeak = Math.max(rssPeak, v)),
      () => undefined,
    );
  }, 200);
  const viaApi: number[] = [];
  const direct: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let t0 = performance.now();
    const form = new FormData();
    form.append('name', `bench ${round}`);
    form.append('videoFile', await openAsBlob(file, { type: 'video/mp4' }), 'upload.mp4');
    const res = await fetch(`${b.url}/api/v1/videos/upload`, {
      method: 'POST',
      headers: { 'x-api-key': 'bench-key-0123456789' },
      body: form,
    });
    if (res.status !== 200) throw new Error(`upload: ${res.status} ${await res.text()}`);
    viaApi.push((performance.now() - t0) / 1000);
    t0 = performance.now();
    await new Upload({ client: s3, params: { Bucket: 'bench-in', Key: `direct/${round}.mp4`, Body: createReadStream(file) } }).done();
    direct.push((performance.now() - t0) / 1000);
  }
  clearInterval(sampler);
  const mbps = (secs: number[]) => +(size / 2 ** 20 / (secs.reduce((x, y) => x + y, 0) / secs.length)).toFixed(1);
  console.log(
    JSON.stringify({
      bench: 'upload',
      sizeMiB: SIZE_MB,
      rounds: ROUNDS,
      apiServerMiBps: mbps(viaApi),
      directS3MiBps: mbps(direct),
      apiSecs: viaApi.map((s) => +s.toFixed(2)),
      directSecs: direct.map((s) => +s.toFixed(2)),
      apiServerRssBeforeMiB: +(rssBefore / 2 ** 20).toFixed(1),
      apiServerRssPeakMiB: +(rssPeak / 2 ** 20).toFixed(1),
    }),
  );
} finally {
  await b.stop();
}
