import { S3Client } from '@aws-sdk/client-s3';

/**
 * An S3 client from the standard AWS configuration. An endpoint set in the environment
 * (`AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`: an emulator, a VPC endpoint) is called with
 * path-style URLs, since `bucket.127.0.0.1` cannot resolve; AWS itself gets virtual-hosted ones.
 */
export function s3ClientFromEnvironment(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  return new S3Client({
    region,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    // S3 computes its own checksum of each part; a second one over the stream costs CPU for nothing here (the envelope digest travels in the pointer).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
