// S3 access of the api-server: streaming uploads (lib-storage multipart Upload fed straight from
// the request stream: bounded memory, parts of 5 MiB, at most `queueSize` in flight), object
// streaming for downloads, presigned GET URLs, existence checks; and the part upload our runner drives
// (lib/peertube/part-upload.ts): create, one part, list, complete, abort.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListPartsCommand,
  UploadPartCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  S3Client,
  type StorageClass,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { s3Config } from '../lib/aws/config.js';
import { enforceAwsLimits } from '../lib/aws/limits.js';

export interface PutOptions {
  contentType?: string;
  storageClass?: string;
  sse?: string;
}

export class Storage {
  readonly s3: S3Client;

  constructor(s3: S3Client = enforceAwsLimits(new S3Client(s3Config()))) {
    this.s3 = s3;
  }

  /** Streams `body` to s3://bucket/key; returns the byte count. Rejects (and aborts the upload) when `body` errors. */
  async putStream(bucket: string, key: string, body: Readable, opts: PutOptions = {}): Promise<number> {
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        cb(null, chunk);
      },
    });
    const upload = new Upload({
      client: this.s3,
      queueSize: 2,
      leavePartsOnError: false,
      params: {
        Bucket: bucket,
        Key: key,
        Body: counter,
        ...putParams(opts),
      },
    });
    const piping = pipeline(body, counter);
    try {
      await Promise.all([piping, upload.done()]);
    } catch (err) {
      await upload.abort().catch(() => undefined);
      counter.destroy();
      throw err;
    }
    return size;
  }

  async createMultipart(bucket: string, key: string, opts: PutOptions = {}): Promise<string> {
    const out = await this.s3.send(
      new CreateMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        // The parts carry the SHA-256 the api-server checked: S3 verifies it again on arrival.
        ChecksumAlgorithm: 'SHA256',
        ...putParams(opts),
      }),
    );
    if (!out.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
    return out.UploadId;
  }

  /** One part (already checked against `sha256`, hex); returns its ETag. */
  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Buffer, sha256: string): Promise<string> {
    const out = await this.s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: body.length,
        ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
      }),
    );
    if (!out.ETag) throw new Error(`UploadPart ${partNumber} returned no ETag`);
    return out.ETag;
  }

  /** Every part S3 holds for the upload, in part-number order. */
  async listParts(bucket: string, key: string, uploadId: string): Promise<{ partNumber: number; size: number; etag: string }[]> {
    const parts: { partNumber: number; size: number; etag: string }[] = [];
    let marker: string | undefined;
    for (;;) {
      const out = await this.s3.send(
        new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, ...(marker ? { PartNumberMarker: marker } : {}) }),
      );
      for (const p of out.Parts ?? []) parts.push({ partNumber: p.PartNumber ?? 0, size: p.Size ?? 0, etag: p.ETag ?? '' });
      if (!out.IsTruncated || !out.NextPartNumberMarker) return parts;
      marker = out.NextPartNumberMarker;
    }
  }

  async completeMultipart(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string; sha256: string }[],
  ): Promise<void> {
    await this.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: parts.map((p) => ({
            PartNumber: p.partNumber,
            ETag: p.etag,
            ChecksumSHA256: Buffer.from(p.sha256, 'hex').toString('base64'),
          })),
        },
      }),
    );
  }

  async abortMultipart(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
  }

  async get(bucket: string, key: string): Promise<{ body: Readable; contentType?: string; contentLength?: number }> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return {
      body: out.Body as Readable,
      ...(out.ContentType ? { contentType: out.ContentType } : {}),
      ...(out.ContentLength !== undefined ? { contentLength: out.ContentLength } : {}),
    };
  }

  async exists(bucket: string, key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return false;
      throw err;
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }

  presignGet(bucket: string, key: string, expiresIn = 3600): Promise<string> {
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn });
  }
}

function putParams(opts: PutOptions): { ContentType?: string; StorageClass?: StorageClass; ServerSideEncryption?: ServerSideEncryption } {
  return {
    ...(opts.contentType ? { ContentType: opts.contentType } : {}),
    ...(opts.storageClass ? { StorageClass: opts.storageClass as StorageClass } : {}),
    ...(opts.sse ? { ServerSideEncryption: opts.sse as ServerSideEncryption } : {}),
  };
}

export { isS3NotFound } from '../lib/aws/errors.js';

export { contentTypeOf } from '../lib/media/content-type.js';
