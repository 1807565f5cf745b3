// Tenant isolation decisions (lib/ct/bucket-access.ts): which buckets and keys a client's jobs may name.
import { checkJobAccess, checkObject, entitlementsOf, normalizeObjectKey, accessRefusals } from '../../../lib/ct/bucket-access.js';
import type { TranscodeClient } from '../../../lib/schema/transcode-client.js';
import type { JobDescription } from '../../../lib/schema/ct-job.js';

function client(buckets: NonNullable<TranscodeClient['spec']['buckets']>, status?: { input: string; output: string }): TranscodeClient {
  return {
    apiVersion: 'cloudtranscode.io/v1alpha1',
    kind: 'TranscodeClient',
    metadata: { name: 'b', namespace: 'ns' },
    spec: { principal: '*', buckets },
    ...(status ? { status: { buckets: status } } : {}),
  };
}

test('normalizer: G1 leading slash and double slashes are fine; dot segments, URLs, backslashes refused', () => {
  expect(normalizeObjectKey('/uploads//game42.mp4')).toEqual({ ok: true, key: 'uploads/game42.mp4' });
  for (const bad of ['../a.mp4', 'x/../../a.mp4', './a.mp4', 's3://other/a.mp4', 'https://x/a.mp4', 'a\\b.mp4', 'a\u0000.mp4', '/', '']) {
    expect([bad, normalizeObjectKey(bad).ok]).toEqual([bad, false]);
  }
});

test('own buckets from status (else spec), extra buckets from spec; everything else refused with the bucket and client named', () => {
  const c = client(
    { input: { prefix: 'b/' }, output: {}, extraInputs: [{ name: 'shared-lib', prefix: 'public/' }], extraOutputs: [{ name: 'cdn' }] },
    { input: 'in-b', output: 'out-b' },
  );
  const who = entitlementsOf(c)!;
  expect(who.reads).toEqual([
    { bucket: 'in-b', prefix: 'b/' },
    { bucket: 'shared-lib', prefix: 'public/' },
  ]);
  expect(checkObject(who, 'read', 'in-b', '/b/x.mp4', 'input_file')).toEqual({ ok: true, key: 'b/x.mp4' });
  expect(checkObject(who, 'read', 'in-b', '/a/x.mp4', 'input_file')).toMatchObject({ ok: false, reason: 'KEY_NOT_ALLOWED' });
  expect(checkObject(who, 'read', 'in-b', 'b/../a/x.mp4', 'input_file')).toMatchObject({ ok: false, reason: 'KEY_NOT_ALLOWED' });
  expect(checkObject(who, 'read', 'shared-lib', 'public/y.mp4', 'input_file').ok).toBe(true);
  expect(checkObject(who, 'write', 'cdn', 'any/where.mp4', 'output').ok).toBe(true);
  const other = checkObject(who, 'read', 'in-a', 'x.mp4', 'input_file');
  expect(other).toMatchObject({ ok: false, reason: 'BUCKET_NOT_ALLOWED' });
  if (!other.ok) expect(other.details).toBe('input_file: client ns/b may not read bucket in-a (input buckets: in-b, shared-lib)');
  // Reading your output bucket or writing your input bucket is not an entitlement either.
  expect(checkObject(who, 'read', 'out-b', 'x.mp4', 'w').ok).toBe(false);
  expect(checkObject(who, 'write', 'in-b', 'b/x.mp4', 'w').ok).toBe(false);
  expect(entitlementsOf(client({}))).toBeUndefined();
  expect(entitlementsOf(client({ input: { name: 'i', managed: false }, output: { name: 'o', managed: false } }))!.writes).toEqual([
    { bucket: 'o', prefix: '' },
  ]);
});

test('a job: input refusal, per-output refusals (output key and watermark)', () => {
  const who = entitlementsOf(client({}, { input: 'in-b', output: 'out-b' }))!;
  const job: JobDescription = {
    input_type: 'VIDEO',
    input_bucket: 'in-a',
    input_file: '/x.mp4',
    outputs: [
      { output_type: 'VIDEO', output_bucket: 'out-b', output_file: '/ok.mp4', preset: '360p-16.9-generic' },
      { output_type: 'VIDEO', output_bucket: 'out-a', output_file: '/steal.mp4', preset: '360p-16.9-generic' },
      {
        output_type: 'VIDEO',
        output_bucket: 'out-b',
        output_file: '/wm.mp4',
        preset: '360p-16.9-generic',
        watermark: { input_bucket: 'in-a', input_file: '/logo.png' },
      },
      { output_type: 'THUMB', output_bucket: 'out-b', output_file: '../t.jpg', size: '10x10' },
    ],
  };
  const a = checkJobAccess(who, job);
  expect(a.input).toMatchObject({ ok: false, reason: 'BUCKET_NOT_ALLOWED' });
  expect([...a.outputs.keys()]).toEqual([1, 2, 3]);
  expect(a.outputs.get(2)!.details).toContain('outputs[2].watermark');
  expect(a.outputs.get(3)!.reason).toBe('KEY_NOT_ALLOWED');
  expect(accessRefusals(a)).toHaveLength(4);
});
