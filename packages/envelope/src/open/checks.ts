import { createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { SealpostError, isSealpostError, needs } from '../errors.ts';
import { deriveMessageKeys } from '../format/derive.ts';
import { isCachingUnwrapper } from '../keys/data-key-cache.ts';
import type { ParsedHeader } from '../format/header.ts';
import { decodeManifest } from '../manifest.ts';
import type { Limits } from '../limits.ts';
import type { KeyUnwrapper, TrustStore } from '../keys/types.ts';
import type { Manifest } from '../message.ts';
import { checkCertificateBinding } from '../certs/chain.ts';
import type { BundleEvidence } from '../bundle/bundle.ts';
import { verifyBatchEvidence } from '../batch/verify.ts';
import type { StatementCache } from '../batch/statement-cache.ts';

/** Everything `open` needs besides the envelope, resolved once per opener. */
export interface OpenContext {
  readonly unwrappers: readonly KeyUnwrapper[];
  readonly trust: TrustStore;
  readonly limits: Limits;
  readonly maxAgeMs: number | null;
  readonly maxClockSkewMs: number;
  readonly now: () => number;
  /** Verified batch statements; absent, every statement signature is verified. */
  readonly statements?: StatementCache;
}

/**
 * Finds a recipient entry for one of our keys, unwraps the data key and checks the key
 * commitment; returns the message's content key. Tries every entry addressed to one of our
 * keys before giving up.
 */
export async function unlock(parsed: ParsedHeader, context: OpenContext): Promise<{ contentKey: KeyObject; recipientKeyId: string }> {
  const { header } = parsed;
  let lastError: unknown;
  let matched = false;
  for (const entry of header.recipients) {
    const unwrapper = context.unwrappers.find((u) => u.keyId === entry.keyId && u.algorithm === entry.algorithm);
    if (!unwrapper) continue;
    matched = true;
    let dataKey: { length: number; key: KeyObject | undefined };
    try {
      dataKey = await unwrapDataKey(unwrapper, entry.wrappedKey);
    } catch (error) {
      if (isSealpostError(error) && error.transient) throw error;
      lastError = error;
      continue;
    }
    needs(dataKey.length === 32 && dataKey.key !== undefined, 'UNWRAP_FAILED', 'the unwrapped data key is not 32 bytes');
    const { contentKey, commitment } = deriveMessageKeys(dataKey.key, header.salt);
    needs(timingSafeEqual(commitment, header.commitment), 'KEY_COMMITMENT_MISMATCH');
    return { contentKey, recipientKeyId: unwrapper.keyId };
  }
  if (!matched) throw new SealpostError('NOT_A_RECIPIENT');
  throw isSealpostError(lastError) ? lastError : new SealpostError('UNWRAP_FAILED', undefined, { cause: lastError });
}

/**
 * The data key as a KeyObject and its length: from a caching unwrapper, the key it imported once;
 * otherwise imported here, and the unwrapped bytes zeroed.
 */
async function unwrapDataKey(unwrapper: KeyUnwrapper, wrappedKey: Uint8Array): Promise<{ length: number; key: KeyObject | undefined }> {
  if (isCachingUnwrapper(unwrapper)) return unwrapper.unwrapKey(wrappedKey);
  const bytes = await unwrapper.unwrap(wrappedKey);
  const key = bytes.length === 32 ? createSecretKey(bytes) : undefined;
  bytes.fill(0);
  return { length: bytes.length, key };
}

/** What the bundle said about itself, checked against the signed manifest. */
export interface BundleFacts extends BundleEvidence {
  readonly payloadName: string;
  readonly payloadSize: number;
  readonly payloadSha256: Uint8Array;
  readonly manifestBytes: Uint8Array;
  /** The certificate entries (DER), in bundle order. */
  readonly certificates: readonly Uint8Array[];
}

/**
 * The checks after decryption, in order: manifest decodes strictly, the certificate entries are
 * the chain the manifest binds, the sender is trusted (by key, or by its chain) with
 * the algorithm configured for it (never the one the message claims), the signature verifies
 * (in the batch form: the statement matches, the inclusion proof leads to its root and its
 * signature verifies),
 * the payload matches its signed name, size and digest, our key is among the signed
 * recipients, and the message is within the age window.
 */
export async function verifyBundle(facts: BundleFacts, recipientKeyId: string, context: OpenContext): Promise<Manifest> {
  const manifest = decodeManifest(facts.manifestBytes, context.limits);
  checkCertificateBinding(manifest, facts.certificates);
  const sender = await context.trust.sender(manifest.sender.keyId, { certificates: facts.certificates, created: manifest.created });
  if (!sender) throw new SealpostError('UNTRUSTED_SENDER', `sender key ${manifest.sender.keyId} is not trusted`);
  needs(
    sender.algorithm === manifest.sender.algorithm,
    'ALGORITHM_MISMATCH',
    `sender key ${sender.keyId} is configured for ${sender.algorithm}, the message claims ${manifest.sender.algorithm}`,
  );
  if (facts.batch) {
    await verifyBatchEvidence(manifest, facts.manifestBytes, sender, facts.signature, facts.batch, context.statements);
  } else {
    const valid = await sender.verifier.verify(sender.keyId, sender.algorithm, facts.manifestBytes, facts.signature);
    needs(valid, 'SIGNATURE_INVALID');
  }
  needs(facts.payloadName === manifest.payload.name, 'PAYLOAD_MISMATCH', 'the payload file name differs from the signed name');
  needs(facts.payloadSize === manifest.payload.size, 'PAYLOAD_MISMATCH', 'the payload size differs from the signed size');
  needs(timingSafeEqual(facts.payloadSha256, manifest.payload.sha256), 'PAYLOAD_MISMATCH', 'the payload digest differs from the signed digest');
  needs(manifest.recipients.includes(recipientKeyId), 'RECIPIENT_MISMATCH', 'the signed recipients do not include our key: the message was forwarded');
  const now = context.now();
  const created = manifest.created.getTime();
  // Messages built only on failure: these checks run for every message.
  if (!(created <= now + context.maxClockSkewMs)) throw new SealpostError('MESSAGE_NOT_YET_VALID', `the message was created at ${manifest.created.toISOString()}, in the future`);
  if (context.maxAgeMs !== null && !(now - created <= context.maxAgeMs)) {
    throw new SealpostError('MESSAGE_EXPIRED', `the message was created at ${manifest.created.toISOString()}, older than the accepted window`);
  }
  return manifest;
}
