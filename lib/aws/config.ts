// AWS client configuration: the standard SDK credential chain and region, plus an optional
// endpoint override (moto, LocalStack). Same code path as real AWS.
import type { S3ClientConfig } from '@aws-sdk/client-s3';

export interface AwsSettings {
  region: string;
  /** Endpoint override for every service, e.g. http://127.0.0.1:5000 for moto. */
  endpoint?: string;
  /** Path-style S3 URLs; needed for emulators on an IP address. */
  forcePathStyle: boolean;
}

export function awsSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsSettings {
  const endpoint = env['CT_AWS_ENDPOINT'] ?? env['AWS_ENDPOINT_URL'];
  return {
    region: env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: (env['CT_S3_FORCE_PATH_STYLE'] ?? (endpoint ? 'true' : 'false')) === 'true',
  };
}

/** Options for any @aws-sdk v3 client constructor. */
export function clientConfig(s: AwsSettings = awsSettingsFromEnv()): { region: string; endpoint?: string } {
  return { region: s.region, ...(s.endpoint ? { endpoint: s.endpoint } : {}) };
}

export function s3Config(s: AwsSettings = awsSettingsFromEnv()): S3ClientConfig {
  return { ...clientConfig(s), forcePathStyle: s.forcePathStyle };
}
