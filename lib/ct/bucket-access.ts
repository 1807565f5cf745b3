// Tenant isolation (docs/security-model.md): the stack's own AWS credentials reach every client's
// buckets, so the stack decides on the client's behalf which objects a job may touch (the
// confused-deputy problem). A TranscodeClient is entitled to read its input bucket (+ prefix) and the
// buckets in spec.buckets.extraInputs, and to write its output bucket (+ prefix) and
// spec.buckets.extraOutputs. Every object a job names — input, outputs (HLS renditions and thumbnail
// series live beside their output key), watermark images — is checked here before any S3 call.
// Pure: no I/O, the callers refuse and report.
import type { JobDescription } from '../schema/ct-job.js';
import type { TranscodeClient } from '../schema/transcode-client.js';

export type AccessReason = 'BUCKET_NOT_ALLOWED' | 'KEY_NOT_ALLOWED';

/** A bucket and the key prefix inside it ('' = the whole bucket). */
export interface BucketArea {
  bucket: string;
  prefix: string;
}

export interface Entitlements {
  client: string;
  reads: BucketArea[];
  writes: BucketArea[];
}

export type KeyResult = { ok: true; key: string } | { ok: false; details: string };

/**
 * The one key normalizer: CT keys may start with '/' (G1 samples do) and double slashes collapse
 * (CT's uploader did); anything that could leave the named bucket or prefix — `.`/`..` segments,
 * URL forms (`s3://…`), backslashes, control characters — is refused rather than repaired, because
 * HTTP stacks resolve dot segments and the object reached would not be the one the check saw.
 */
export function normalizeObjectKey(raw: string): KeyResult {
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.includes('://'))
    return { ok: false, details: `key ${JSON.stringify(raw)} is a URL; give a key inside the bucket` };
  if (raw.includes('\\') || [...raw].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f))
    return { ok: false, details: `key ${JSON.stringify(raw)} contains a backslash or a control character` };
  const key = raw.replace(/\/{2,}/g, '/').replace(/^\/+/, '');
  if (key === '') return { ok: false, details: `key ${JSON.stringify(raw)} is empty` };
  if (key.split('/').some((seg) => seg === '.' || seg === '..'))
    return { ok: false, details: `key ${JSON.stringify(raw)} has a "." or ".." segment` };
  return { ok: true, key };
}

function area(bucket: string | undefined, prefix: string | undefined): BucketArea[] {
  return bucket ? [{ bucket, prefix: prefix ?? '' }] : [];
}

/**
 * What a client may touch. Own buckets come from status (names the client reconciler resolved) or,
 * before that, from spec; undefined when the client's own buckets are not known yet.
 */
export function entitlementsOf(client: TranscodeClient): Entitlements | undefined {
  const spec = client.spec.buckets;
  const input = client.status?.buckets?.input ?? spec?.input?.name;
  const output = client.status?.buckets?.output ?? spec?.output?.name;
  if (!input || !output) return undefined;
  return {
    client: `${client.metadata.namespace ?? 'default'}/${client.metadata.name ?? ''}`,
    reads: [...area(input, spec?.input?.prefix), ...(spec?.extraInputs ?? []).map((b) => ({ bucket: b.name, prefix: b.prefix ?? '' }))],
    writes: [...area(output, spec?.output?.prefix), ...(spec?.extraOutputs ?? []).map((b) => ({ bucket: b.name, prefix: b.prefix ?? '' }))],
  };
}

export type AccessDecision = { ok: true; key: string } | { ok: false; reason: AccessReason; details: string };

/** May `who` read (or write) `key` in `bucket`? On success the normalized key to use. */
export function checkObject(who: Entitlements, mode: 'read' | 'write', bucket: string, rawKey: string, what: string): AccessDecision {
  const areas = mode === 'read' ? who.reads : who.writes;
  const inBucket = areas.filter((a) => a.bucket === bucket);
  if (inBucket.length === 0) {
    return {
      ok: false,
      reason: 'BUCKET_NOT_ALLOWED',
      details: `${what}: client ${who.client} may not ${mode} bucket ${bucket} (${mode === 'read' ? 'input' : 'output'} buckets: ${
        [...new Set(areas.map((a) => a.bucket))].join(', ') || 'none'
      })`,
    };
  }
  const norm = normalizeObjectKey(rawKey);
  if (!norm.ok) return { ok: false, reason: 'KEY_NOT_ALLOWED', details: `${what}: ${norm.details}` };
  if (!inBucket.some((a) => norm.key.startsWith(a.prefix))) {
    return {
      ok: false,
      reason: 'KEY_NOT_ALLOWED',
      details: `${what}: client ${who.client} may not ${mode} ${bucket}/${norm.key} (allowed prefixes: ${inBucket
        .map((a) => JSON.stringify(a.prefix))
        .join(', ')})`,
    };
  }
  return { ok: true, key: norm.key };
}

export interface JobAccess {
  /** The input itself: when refused, nothing of the job may run. */
  input: AccessDecision;
  /** Per output index: the first refused object of that output (its key or its watermark). */
  outputs: Map<number, { reason: AccessReason; details: string }>;
}

/** Every object a job names, checked against the client's entitlements. */
export function checkJobAccess(who: Entitlements, job: JobDescription): JobAccess {
  const input = checkObject(who, 'read', job.input_bucket, job.input_file, 'input_file');
  const outputs: JobAccess['outputs'] = new Map();
  job.outputs.forEach((o, i) => {
    const checks: AccessDecision[] = [checkObject(who, 'write', o.output_bucket, o.output_file, `outputs[${i}].output_file`)];
    if (o.watermark) checks.push(checkObject(who, 'read', o.watermark.input_bucket, o.watermark.input_file, `outputs[${i}].watermark`));
    const refused = checks.find((c): c is Extract<AccessDecision, { ok: false }> => !c.ok);
    if (refused) outputs.set(i, { reason: refused.reason, details: refused.details });
  });
  return { input, outputs };
}

/** All refusals of a job as one list (the SQS edge refuses the whole command on any of them). */
export function accessRefusals(access: JobAccess): { reason: AccessReason; details: string }[] {
  return [...(access.input.ok ? [] : [access.input]), ...access.outputs.values()];
}
