// S3 access of the api-server: streaming uploads (lib-storage multipart Upload fed straight from
// the request stream: bounded memory, parts of 5 MiB, at most `queueSize` in flight), object
// streaming for downloads, presigned GET URLs, existence checks.
import {
  GetObjectCommand,
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
        ...(opts.contentType ? { ContentType: opts.contentType } : {}),
        ...(opts.storageClass ? { StorageClass: opts.storageClass as StorageClass } : {}),
        ...(opts.sse ? { ServerSideEncryption: opts.sse as ServerSideEncryption } : {}),
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

export { isS3NotFound } from '../lib/aws/errors.js';

export { contentTypeOf } from '../lib/media/content-type.js';
