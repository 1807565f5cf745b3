// Classifying AWS SDK v3 errors, shared by the operator, the api-server and lib/media.
interface AwsErrorShape {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

/** S3 "not found": NoSuchKey, NotFound (HeadObject), NoSuchBucket, or any 404. */
export function isS3NotFound(err: unknown): boolean {
  const e = err as AwsErrorShape | undefined;
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.name === 'NoSuchBucket' || e?.$metadata?.httpStatusCode === 404;
}
