import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';

/** Options for {@link createKmsClient}; anything unset comes from the standard AWS SDK configuration. */
export interface KmsClientOptions {
  /** AWS region; default from AWS_REGION or the profile. */
  readonly region?: string;
  /** Endpoint URL (an emulator, a VPC endpoint); default from AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL. */
  readonly endpoint?: string;
  /** Static credentials; default from the SDK's provider chain (env, profile, role). */
  readonly credentials?: KMSClientConfig['credentials'];
  /** Attempts per call, including retries with backoff for throttling and 5xx. @defaultValue 6 */
  readonly maxAttempts?: number;
  /** Called once per KMS API request (retries included), with the operation name, e.g. `Decrypt`. */
  readonly onCall?: (operation: string) => void;
}

/**
 * A KMS client with Sealpost's defaults: adaptive retries (client-side rate limiting when KMS
 * throttles) and an optional per-call hook for metrics.
 *
 * @example
 * ```ts
 * const client = createKmsClient({ onCall: (op) => kmsCalls.inc({ operation: op }) })
 * ```
 */
export function createKmsClient(options: KmsClientOptions = {}): KMSClient {
  const client = new KMSClient({
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? 6,
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  const onCall = options.onCall;
  if (onCall) {
    client.middlewareStack.add(
      (next, context) => (args) => {
        onCall(String(context.commandName ?? 'Unknown').replace(/Command$/, ''));
        return next(args);
      },
      { step: 'finalizeRequest', name: 'sealpostCallCounter' },
    );
  }
  return client;
}
