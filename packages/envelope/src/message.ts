import type { SigningAlgorithm } from './keys/types.ts';

/** The signed manifest of a message, as decoded from `manifest.cbor`. */
export interface Manifest {
  /** Message id: a UUIDv7 string. */
  readonly id: string;
  /** Creation time, from the sender's clock. */
  readonly created: Date;
  /**
   * The signing key and algorithm, and, when the sender attached its certificate chain, the
   * SHA-256 of each certificate (DER, leaf first): the signature binds the chain.
   */
  readonly sender: { readonly keyId: string; readonly algorithm: SigningAlgorithm; readonly certificates?: readonly Uint8Array[] };
  /** Key ids of every recipient the sender addressed, in the order given. */
  readonly recipients: readonly string[];
  /** Payload description; the digest binds the signature to the payload bytes. */
  readonly payload: {
    readonly name: string;
    readonly contentType: string;
    readonly size: number;
    readonly sha256: Uint8Array;
  };
  /** Optional short string metadata (bounded by limits). */
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * A message that passed every check of `open`: evidence that can be stored and re-verified
 * later from `manifestBytes` and `signature` alone.
 */
export interface VerifiedMessage {
  /** The decoded manifest. */
  readonly manifest: Manifest;
  /** The exact signed manifest bytes (`manifest.cbor`). */
  readonly manifestBytes: Uint8Array;
  /** The DER ECDSA signature over `manifestBytes` (`manifest.sig`). */
  readonly signature: Uint8Array;
  /** Which of our keys the message was opened with. */
  readonly recipientKeyId: string;
  /** The sender's certificate chain (DER, leaf first) from the bundle; empty when it sent none. */
  readonly certificates: readonly Uint8Array[];
}

/** A verified message whose payload is held in memory. */
export interface OpenedMessage extends VerifiedMessage {
  /** The payload bytes, verified against the signed digest and size. */
  readonly payload: Uint8Array;
}
