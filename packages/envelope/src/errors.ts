/**
 * Every failure Sealpost reports is a {@link SealpostError} with a stable {@link ErrorCode}.
 * Callers branch on `code` and on `transient` (retry later) — never on the message text.
 */

/** Stable error codes, grouped by where they arise. */
export const ERROR_CODES = {
  // Envelope framing and header (untrusted bytes, checked before any cryptography).
  FORMAT_MAGIC: 'not a Sealpost envelope',
  FORMAT_VERSION: 'unsupported envelope version',
  FORMAT_TRUNCATED: 'input ended early',
  FORMAT_INVALID: 'malformed structure',
  FORMAT_NONCANONICAL: 'CBOR is not in deterministic encoding',
  LIMIT_EXCEEDED: 'a configured limit was exceeded',
  // Keys and decryption.
  NOT_A_RECIPIENT: 'no recipient entry for any of our keys',
  UNWRAP_FAILED: 'the data key could not be unwrapped',
  KEY_COMMITMENT_MISMATCH: 'the data key does not match the key commitment',
  DECRYPTION_FAILED: 'decryption failed',
  // Bundle, manifest and signature (authenticated bytes from a possibly hostile sender).
  BUNDLE_INVALID: 'the bundle is not a valid Sealpost tar archive',
  MANIFEST_INVALID: 'the manifest is invalid',
  UNTRUSTED_SENDER: 'the sender key is not trusted',
  ALGORITHM_MISMATCH: 'the sender used an algorithm other than the one configured for its key',
  SIGNATURE_INVALID: 'the signature does not verify',
  BATCH_INVALID: 'the batch statement or inclusion proof is malformed',
  BATCH_STATEMENT_MISMATCH: 'the batch statement names another sender key than the manifest',
  BATCH_PROOF_INVALID: 'the inclusion proof does not lead to the signed batch root',
  PAYLOAD_MISMATCH: 'the payload does not match its signed digest or size',
  RECIPIENT_MISMATCH: 'our key is not among the signed recipients',
  MESSAGE_EXPIRED: 'the message is older than the accepted window',
  MESSAGE_NOT_YET_VALID: 'the message was created in the future',
  REPLAY_DETECTED: 'a different message with the same id was already stored',
  // Sender certificates (section 14 of FORMAT.md).
  CERT_CHAIN_MISMATCH: 'the certificate entries differ from the chain the signature binds',
  CERT_INVALID: 'a certificate of the sender chain cannot be parsed',
  CERT_UNTRUSTED: 'the sender certificate does not chain to a trusted anchor',
  CERT_EXPIRED: 'a certificate of the sender chain had expired when the message was created',
  CERT_NOT_YET_VALID: 'a certificate of the sender chain was not yet valid when the message was created',
  CERT_REVOKED: 'a certificate of the sender chain is revoked',
  CERT_REVOCATION_UNKNOWN: 'the revocation status of a certificate of the sender chain cannot be established',
  CERT_NOT_CA: 'an issuing certificate of the sender chain has no CA rights',
  CERT_USAGE: 'the sender certificate does not allow digital signatures',
  CERT_NOT_PERMITTED: 'the sender certificate does not meet the required subject, name, usage or policy',
  CERT_KEY_MISMATCH: 'the sender certificate is for another key than the one that signed',
  // Configuration and keys supplied by the caller.
  KEY_INVALID: 'the key is unusable for this operation',
  CONFIG_INVALID: 'invalid configuration',
  // Remote services.
  KMS_THROTTLED: 'AWS KMS throttled the request',
  KMS_UNAVAILABLE: 'AWS KMS is unreachable or failed',
  KMS_KEY_UNUSABLE: 'the KMS key is missing, disabled or of the wrong usage',
  KMS_ACCESS_DENIED: 'access to the KMS key was denied',
  STORE_UNAVAILABLE: 'the message store is unavailable',
  STORE_REJECTED: 'the message store refused this message for good',
  STORE_NOT_FOUND: 'the message store does not exist (a read-only open creates nothing)',
  STORE_CORRUPT: 'a stored payload is missing or does not match its recorded size or digest',
  TRANSPORT_UNAVAILABLE: 'the transport is unavailable',
  CRL_UNAVAILABLE: 'a certificate revocation list could not be fetched',
  MESSAGE_TOO_LARGE: 'the envelope exceeds the transport message size limit',
  // Envelopes offloaded to S3 (a pointer on the queue; the pointer is untrusted input).
  POINTER_INVALID: 'the offload pointer is malformed',
  POINTER_BUCKET_NOT_ALLOWED: 'the offload pointer names a bucket outside the allow-list',
  OFFLOAD_TOO_LARGE: 'the offloaded envelope is declared larger than this receiver accepts',
  OFFLOAD_OBJECT_MISSING: 'the offloaded envelope is not in its bucket',
  OFFLOAD_SIZE_MISMATCH: 'the offloaded object is not the size its pointer declares',
  OFFLOAD_DIGEST_MISMATCH: 'the offloaded object is not the envelope its pointer names',
  OFFLOAD_UNAVAILABLE: 'the offload bucket is unreachable or failed',
  IO_ERROR: 'a file operation failed',
  INTERNAL_ERROR: 'an unexpected internal error',
} as const;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

const TRANSIENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'KMS_THROTTLED',
  'KMS_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'TRANSPORT_UNAVAILABLE',
  'OFFLOAD_UNAVAILABLE',
  'CRL_UNAVAILABLE',
  'IO_ERROR',
  'INTERNAL_ERROR',
]);

/** Options for {@link SealpostError}. */
export interface SealpostErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** Overrides whether the failure is worth retrying; defaults from the code. */
  transient?: boolean;
}

/**
 * The one error class Sealpost throws.
 *
 * @example
 * ```ts
 * try { await open(envelope, options) } catch (e) {
 *   if (e instanceof SealpostError && e.transient) retryLater()
 *   else deadLetter(e instanceof SealpostError ? e.code : 'UNKNOWN')
 * }
 * ```
 */
export class SealpostError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** True when retrying the same operation later may succeed. */
  readonly transient: boolean;

  constructor(code: ErrorCode, message: string = ERROR_CODES[code], options: SealpostErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SealpostError';
    this.code = code;
    this.transient = options.transient ?? TRANSIENT_CODES.has(code);
  }

  /** JSON form used in logs, dead-letter reasons and CLI `--json` output. */
  toJSON(): { code: ErrorCode; message: string; transient: boolean } {
    return { code: this.code, message: this.message, transient: this.transient };
  }
}

/** True when `error` is a {@link SealpostError}, optionally with the given code. */
export function isSealpostError(error: unknown, code?: ErrorCode): error is SealpostError {
  return error instanceof SealpostError && (code === undefined || error.code === code);
}

/** Throws a {@link SealpostError} with `code` unless `condition` holds. */
export function needs(condition: unknown, code: ErrorCode, message?: string): asserts condition {
  if (!condition) throw new SealpostError(code, message);
}
