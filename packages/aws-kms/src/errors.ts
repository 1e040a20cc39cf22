import { SealpostError } from '@sealpost/envelope';

const THROTTLED = new Set(['ThrottlingException', 'LimitExceededException', 'RequestLimitExceeded', 'TooManyRequestsException']);
const UNAVAILABLE = new Set(['KMSInternalException', 'DependencyTimeoutException', 'ServiceUnavailableException', 'InternalFailure', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const UNUSABLE = new Set(['NotFoundException', 'DisabledException', 'KMSInvalidStateException', 'InvalidKeyUsageException', 'KeyUnavailableException', 'UnsupportedOperationException', 'InvalidArnException']);
const DENIED = new Set(['AccessDeniedException', 'UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException', 'IncompleteSignature']);
const UNWRAP = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/**
 * Maps an AWS SDK error from a KMS call to a {@link SealpostError}: throttling, timeouts,
 * network errors and 5xx are transient (the SDK has already retried them with backoff);
 * missing, disabled or misused keys and denied access are permanent.
 */
export function mapKmsError(error: unknown, keyId: string, operation: string): SealpostError {
  if (error instanceof SealpostError) return error;
  const e = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $fault?: string };
  const name = e.name ?? '';
  const where = `KMS ${operation} on ${keyId}`;
  const detail = `${where}: ${name}${e.message ? `: ${e.message}` : ''}`;
  if (THROTTLED.has(name)) return new SealpostError('KMS_THROTTLED', detail, { cause: error });
  if (UNWRAP.has(name)) return new SealpostError('UNWRAP_FAILED', detail, { cause: error });
  if (UNUSABLE.has(name)) return new SealpostError('KMS_KEY_UNUSABLE', detail, { cause: error });
  if (DENIED.has(name)) return new SealpostError('KMS_ACCESS_DENIED', detail, { cause: error });
  if (/region is missing/i.test(e.message ?? '')) {
    return new SealpostError('CONFIG_INVALID', `${where}: no AWS region configured (set AWS_REGION or a profile region)`, { cause: error });
  }
  const status = e.$metadata?.httpStatusCode ?? 0;
  if (UNAVAILABLE.has(name) || status >= 500 || e.$fault === 'server' || NETWORK.has(e.code ?? '') || name === 'AbortError') {
    return new SealpostError('KMS_UNAVAILABLE', detail, { cause: error });
  }
  if (status >= 400 && status < 500) return new SealpostError('KMS_KEY_UNUSABLE', detail, { cause: error });
  return new SealpostError('KMS_UNAVAILABLE', detail, { cause: error });
}
