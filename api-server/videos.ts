// Video API (protocols/README.md "Video API"): upload or point at a source, get a TranscodeJob made
// for it exactly like START_JOB makes one (an HLS ladder + a THUMB snapshot under video-<uuid>/ in
// the client's output bucket), read its state. Each call is one client, authenticated with the API
// key in the Secret its TranscodeClient names (Authorization: Bearer <key> or X-Api-Key).
import { randomUUID } from 'node:crypto';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { Router, type Request } from 'express';
import { jobName, transcodeJobBody } from '../lib/ct/naming.js';
import { crs } from '../lib/kube/crs.js';
import { GROUP } from '../lib/kube/resources.js';
import { statusOf } from '../lib/kube/client.js';
import { JobDescription } from '../lib/schema/ct-job.js';
import { checkObject, entitlementsOf } from '../lib/ct/bucket-access.js';
import type { TranscodeClient } from '../lib/schema/transcode-client.js';
import type { TranscodeJob } from '../lib/schema/transcode-job.js';
import { validator } from '../lib/validate.js';
import { errorInfo, type Logger } from '../lib/log.js';
import type { ApiServerConfig } from './config.js';
import { parseMultipart, tooLarge } from './multipart.js';
import { HttpProblem, badRequest, invalidParams, notFound } from './problem.js';
import { TranscodeBody, isUuid, parseBody } from './schemas.js';
import { contentTypeOf, type Storage } from './s3.js';
import type { Store } from './store.js';
import { sameSecret } from './tokens.js';

export const ANNOTATION_VIDEO_NAME = `${GROUP}/video-name`;
const KEY_TTL_MS = 30_000;
const checkJob = validator(JobDescription, 'job description');

export interface VideoDeps {
  kc: KubeConfig;
  config: ApiServerConfig;
  store: Store;
  storage: Storage;
  log: Logger;
}

const FLICKR_BASE58 = '123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ';

/** PeerTube's shortUUID: the uuid's 128 bits in flickr base58. */
export function shortUuid(uuid: string): string {
  let n = BigInt(`0x${uuid.replace(/-/g, '')}`);
  let out = '';
  while (n > 0n) {
    out = FLICKR_BASE58[Number(n % 58n)] + out;
    n /= 58n;
  }
  return out || '1';
}

/**
 * A key inside the storage root: relative, no `..`/`.` segments, no empty segments, no backslashes or
 * control characters. Anything else could name another client's objects or nothing sensible.
 */
export function isSafeStoragePath(path: string): boolean {
  if (path.startsWith('/') || path.includes('\\') || [...path].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f))
    return false;
  return path.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/** API keys from the clients' Secrets, read on demand and kept for a short while. */
class ClientKeys {
  private readonly cache = new Map<string, { key: string | undefined; until: number }>();

  constructor(
    private readonly kc: KubeConfig,
    private readonly store: Store,
  ) {}

  private async keyOf(client: TranscodeClient): Promise<string | undefined> {
    const ref = client.spec.apiKeySecretRef;
    if (!ref) return undefined;
    const ns = client.metadata.namespace!;
    const id = `${ns}/${ref.name}/${ref.key ?? 'apiKey'}`;
    const hit = this.cache.get(id);
    if (hit && hit.until > Date.now()) return hit.key;
    let key: string | undefined;
    try {
      const secret = await this.kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: ref.name, namespace: ns });
      const b64 = secret.data?.[ref.key ?? 'apiKey'];
      key = b64 ? Buffer.from(b64, 'base64').toString('utf8').trim() : undefined;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    this.cache.set(id, { key, until: Date.now() + KEY_TTL_MS });
    return key;
  }

  async authenticate(req: Request): Promise<TranscodeClient> {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    const header = req.headers['x-api-key'];
    const presented = bearer ?? (typeof header === 'string' ? header.trim() : undefined);
    if (!presented) throw new HttpProblem(401, 'An API key is required (Authorization: Bearer <key> or X-Api-Key)', 'unauthorized');
    let match: TranscodeClient | undefined;
    for (const client of this.store.clients.cache.list()) {
      const key = await this.keyOf(client);
      if (key && sameSecret(presented, key) && !match) match = client;
    }
    if (!match) throw new HttpProblem(401, 'Invalid API key', 'unauthorized');
    return match;
  }
}

/**
 * The client's storage roots: its own input and output bucket, each with its key prefix (a shared
 * bucket). Paths of this API are relative to those roots, so nothing outside them can be named.
 */
function buckets(client: TranscodeClient): { input: string; output: string; inputPrefix: string; outputPrefix: string } {
  const input = client.status?.buckets?.input;
  const output = client.status?.buckets?.output;
  if (!input || !output) throw new HttpProblem(503, `Client ${client.metadata.name} has no ready input/output buckets yet`);
  return {
    input,
    output,
    inputPrefix: client.spec.buckets?.input?.prefix ?? '',
    outputPrefix: client.spec.buckets?.output?.prefix ?? '',
  };
}

/** Defence in depth: the key really is one the client may read/write (lib/ct/bucket-access.ts). */
function entitled(client: TranscodeClient, mode: 'read' | 'write', bucket: string, key: string): string {
  const who = entitlementsOf(client);
  const decision = who ? checkObject(who, mode, bucket, key, 'path') : undefined;
  if (decision?.ok) return decision.key;
  if (decision?.reason === 'KEY_NOT_ALLOWED') throw badRequest('path must be a key inside the storage of this client');
  throw new HttpProblem(403, 'The path is outside the storage of this client');
}

function videoView(job: TranscodeJob, uuid: string) {
  return { id: job.metadata.name!, shortUUID: shortUuid(uuid), uuid };
}

export function videoRouter(deps: VideoDeps): Router {
  const r = Router();
  const keys = new ClientKeys(deps.kc, deps.store);
  const jobs = crs(deps.kc).jobs;

  async function createJob(
    client: TranscodeClient,
    uuid: string,
    name: string,
    inputBucket: string,
    inputKey: string,
    outputBucket: string,
    outputPrefix: string,
  ) {
    const jobId = `video-${uuid}`;
    const outDir = entitled(client, 'write', outputBucket, `${outputPrefix}video-${uuid}/master.m3u8`).replace(/master\.m3u8$/, '');
    const description = {
      input_type: 'VIDEO',
      input_bucket: inputBucket,
      input_file: entitled(client, 'read', inputBucket, inputKey),
      outputs: [
        { output_type: 'HLS', output_bucket: outputBucket, output_file: `${outDir}master.m3u8` },
        {
          output_type: 'THUMB',
          mode: 'snapshot',
          output_bucket: outputBucket,
          output_file: `${outDir}thumbnail.jpg`,
          size: deps.config.videoThumbSize,
          no_enlarge: false,
        },
      ],
    };
    const errors = checkJob.errors(description);
    if (errors.length) throw invalidParams(errors);
    const job = transcodeJobBody({
      namespace: client.metadata.namespace!,
      clientName: client.metadata.name!,
      jobId,
      job: description as TranscodeJob['spec']['job'], // checked just above
      source: 'api',
      annotations: { [ANNOTATION_VIDEO_NAME]: name },
    });
    const created = await jobs.create(job);
    deps.store.observeJob(created);
    deps.log.info(
      { client: client.metadata.name, job: created.metadata.name, video: uuid, input: `s3://${inputBucket}/${inputKey}` },
      'video job created',
    );
    return created;
  }

  r.post('/upload', async (req, res) => {
    const client = await keys.authenticate(req);
    const { input, output, inputPrefix, outputPrefix } = buckets(client);
    if (Number(req.headers['content-length'] ?? 0) > deps.config.maxUploadBytes + 1024 * 1024) throw tooLarge(deps.config.maxUploadBytes);
    const uuid = randomUUID();
    let stored: string | undefined;
    try {
      const fields = await parseMultipart(req, {
        maxFileBytes: deps.config.maxUploadBytes,
        maxFiles: 1,
        onFile: async (field, stream, info) => {
          if (field !== 'videoFile' || stored) {
            stream.resume();
            return;
          }
          const ext = /\.([A-Za-z0-9]{1,8})$/.exec(info.filename ?? '')?.[1]?.toLowerCase() ?? 'mp4';
          // An upload lands in the client's own input root, the area its jobs read from.
          const key = entitled(client, 'read', input, `${inputPrefix}video-${uuid}/base_video.${ext}`);
          await deps.storage.putStream(input, key, stream, { contentType: contentTypeOf(key) ?? info.mimeType });
          stored = key;
        },
      });
      const name = fields['name'];
      if (!stored) throw badRequest('videoFile is required');
      if (!name || name.length > 255) throw badRequest('name is required (1–255 characters)');
      const job = await createJob(client, uuid, name, input, stored, output, outputPrefix);
      res.status(200).json({ video: videoView(job, uuid) });
    } catch (err) {
      if (stored) {
        const key = stored;
        await deps.storage
          .delete(input, key)
          .catch((e: unknown) => deps.log.warn({ key, err: errorInfo(e) }, 'could not delete a rejected upload'));
      }
      throw err;
    }
  });

  r.post('/transcode', async (req, res) => {
    const client = await keys.authenticate(req);
    const body = parseBody(TranscodeBody, 'transcode body', req.body);
    if (!isSafeStoragePath(body.path))
      throw badRequest('path must be a relative key inside the storage (no "..", ".", empty segments, leading "/" or "\\")');
    const { input, output, inputPrefix, outputPrefix } = buckets(client);
    // The path is relative to the client's input root (bucket + prefix), checked before any S3 call.
    const key = entitled(client, 'read', input, `${inputPrefix}${body.path}`);
    if (!(await deps.storage.exists(input, key))) throw notFound('Video file does not exist.');
    const uuid = randomUUID();
    const job = await createJob(client, uuid, body.name, input, key, output, outputPrefix);
    res.status(200).json({ video: videoView(job, uuid) });
  });

  r.get('/:uuid', async (req, res) => {
    const client = await keys.authenticate(req);
    const uuid = String(req.params['uuid']);
    if (!isUuid(uuid)) throw badRequest('uuid must be a UUID');
    const job = deps.store.jobs.cache.get(`${client.metadata.namespace}/${jobName(client.metadata.name!, `video-${uuid}`)}`);
    if (!job) throw notFound('Video not found');
    const s = job.status ?? {};
    res.json({
      video: {
        ...videoView(job, uuid),
        name: job.metadata.annotations?.[ANNOTATION_VIDEO_NAME] ?? null,
        createdAt: job.metadata.creationTimestamp ?? null,
        state: {
          phase: s.phase ?? 'Pending',
          progress: s.progress ?? 0,
          ...(s.reason ? { reason: s.reason } : {}),
          ...(s.message ? { message: s.message } : {}),
        },
        outputs: s.outputs ?? [],
      },
    });
  });
  return r;
}
