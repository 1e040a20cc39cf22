/**
 * The small structural interfaces every key backend implements (local PEM keys, AWS KMS).
 * A test fake is a plain object.
 */

/** ECDSA signature algorithms, named as AWS KMS names them. */
export type SigningAlgorithm = 'ECDSA_SHA_256' | 'ECDSA_SHA_384' | 'ECDSA_SHA_512';

/** Key-wrapping algorithms, named as AWS KMS names them. */
export type WrappingAlgorithm = 'RSAES_OAEP_SHA_256';

/**
 * Produces ECDSA signatures.
 *
 * `sign` receives the bytes to sign (the encoded manifest, at most a few KiB) rather than a
 * digest: node:crypto has no pre-hashed ECDSA, while KMS-backed signers hash locally with the
 * algorithm's hash and send KMS a DIGEST, so both stay one call per message.
 */
export interface Signer {
  /** Key id written into the manifest: the KMS key ARN, or the local key's SPKI fingerprint. */
  readonly keyId: string;
  /** The algorithm this key signs with. */
  readonly algorithm: SigningAlgorithm;
  /** Returns a DER-encoded ECDSA signature over `data` hashed with the algorithm's hash. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** Checks ECDSA signatures for keys it knows. */
export interface Verifier {
  /**
   * Resolves true when `signature` (DER) is valid for `data` under key `keyId` and `algorithm`,
   * false when it is not. Rejects only for failures to check (e.g. KMS unreachable).
   */
  verify(keyId: string, algorithm: SigningAlgorithm, data: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

/** Wraps a data key for one recipient. */
export interface KeyWrapper {
  /** The recipient's key id, written into the envelope header. */
  readonly keyId: string;
  /** The wrapping algorithm. */
  readonly algorithm: WrappingAlgorithm;
  /** Returns the wrapped (encrypted) data key. */
  wrap(dataKey: Uint8Array): Promise<Uint8Array>;
}

/** Unwraps data keys wrapped for one of our keys. */
export interface KeyUnwrapper {
  /** Our key id, matched against the recipient entries of an envelope header. */
  readonly keyId: string;
  /** The wrapping algorithm this key is configured for. */
  readonly algorithm: WrappingAlgorithm;
  /**
   * Returns the data key. Rejects with `UNWRAP_FAILED` (permanent) when the wrapped key is not
   * for this key or is corrupt, or with a transient error when the backend is unavailable.
   */
  unwrap(wrappedKey: Uint8Array): Promise<Uint8Array>;
}

/** A sender the receiver accepts, with the one algorithm configured for its key. */
export interface TrustedSender {
  /** The sender key id, as written into manifests. */
  readonly keyId: string;
  /** The algorithm this sender must sign with; a message claiming another is rejected. */
  readonly algorithm: SigningAlgorithm;
  /** Checks this sender's signatures. */
  readonly verifier: Verifier;
  /** Optional human-readable label (file name, KMS alias, certificate subject). */
  readonly label?: string;
  /** For a sender accepted by its certificate: who the leaf names, and the leaf's SHA-256 fingerprint (hex). */
  readonly certificate?: { readonly subject: string; readonly fingerprint: string; readonly subjectAltName?: string };
}

/** What a message says about its sender beyond the key id, for trust stores that need it. */
export interface SenderEvidence {
  /** The sender's certificate chain (DER, leaf first), bound by the signed manifest; may be empty. */
  readonly certificates: readonly Uint8Array[];
  /** The message's signed creation time: certificates are checked as of this time. */
  readonly created: Date;
}

/** Decides which senders are accepted. */
export interface TrustStore {
  /**
   * Returns the trusted sender with this key id, or undefined when it is not trusted. A store
   * that judges certificates rejects with a permanent `CERT_*` error when the chain fails.
   */
  sender(keyId: string, evidence?: SenderEvidence): Promise<TrustedSender | undefined>;
}
