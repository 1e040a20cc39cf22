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

/** The batch form's evidence for one message: `statement.cbor`, `statement.sig`, `proof.cbor`. */
export interface BatchEvidenceBytes {
  /** The signed batch statement. */
  readonly statement: Uint8Array;
  /** The DER ECDSA signature over `statement`. */
  readonly signature: Uint8Array;
  /** The manifest's inclusion proof. */
  readonly proof: Uint8Array;
}

/**
 * A message that passed every check of `open`: evidence that can be stored and re-verified
 * later from `manifestBytes` and `signature` alone (`verifyEvidence`).
 */
export interface VerifiedMessage {
  /** The decoded manifest. */
  readonly manifest: Manifest;
  /** The exact signed manifest bytes (`manifest.cbor`). */
  readonly manifestBytes: Uint8Array;
  /**
   * What signs `manifestBytes`: the DER ECDSA signature (`manifest.sig`), or for a batch-signed
   * message the batch evidence encoding of FORMAT.md 15.8 (statement, its signature and the
   * proof), one byte string either way so a store keeps it in one column.
   */
  readonly signature: Uint8Array;
  /** The batch form's entries, for a batch-signed message. */
  readonly batch?: BatchEvidenceBytes;
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
