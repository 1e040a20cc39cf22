import { SealpostError, needs } from './errors.ts';
import { decodeManifest } from './manifest.ts';
import { DEFAULT_LIMITS, type Limits } from './limits.ts';
import type { TrustedSender, TrustStore } from './keys/types.ts';
import type { Manifest } from './message.ts';
import { decodeEvidence } from './batch/evidence.ts';
import { verifyBatchEvidence } from './batch/verify.ts';

/**
 * Re-verifies a message's evidence from its bytes alone, as a store keeps them: the manifest
 * decodes strictly, its sender is trusted with the algorithm configured for it, and what signs
 * it verifies — a signature over the manifest, or a batch statement signature with the
 * manifest's inclusion proof. Per-delivery checks (recipient, age) are not repeated; the caller
 * compares the payload with the manifest's digest.
 *
 * @param evidence a `VerifiedMessage.signature`: DER, or the batch evidence encoding.
 * @example
 * ```ts
 * const stored = await store.get(id)
 * const manifest = await verifyEvidence(trust, stored.manifest, stored.signature)
 * ```
 */
export async function verifyEvidence(trust: TrustStore, manifestBytes: Uint8Array, evidence: Uint8Array, limits: Limits = { ...DEFAULT_LIMITS, maxPayloadBytes: Number.MAX_SAFE_INTEGER }): Promise<Manifest> {
  const manifest = decodeManifest(manifestBytes, limits);
  const sender = await trust.sender(manifest.sender.keyId);
  if (!sender) throw new SealpostError('UNTRUSTED_SENDER', `sender key ${manifest.sender.keyId} is not trusted`);
  needs(sender.algorithm === manifest.sender.algorithm, 'ALGORITHM_MISMATCH', `sender key ${sender.keyId} is configured for ${sender.algorithm}, the manifest claims ${manifest.sender.algorithm}`);
  await verifySignedBy(sender, manifest, manifestBytes, evidence);
  return manifest;
}

/**
 * Checks that stored evidence (a `VerifiedMessage.signature`: DER, or the batch evidence
 * encoding) signs `manifestBytes` for `sender`, a sender the caller has already found trusted
 * with the manifest's algorithm [`SIGNATURE_INVALID`, and in the batch form the codes of
 * FORMAT.md 15.6].
 */
export async function verifySignedBy(sender: TrustedSender, manifest: Manifest, manifestBytes: Uint8Array, evidence: Uint8Array): Promise<void> {
  const { signature, batch } = decodeEvidence(evidence);
  if (batch) await verifyBatchEvidence(manifest, manifestBytes, sender, signature, batch);
  else needs(await sender.verifier.verify(sender.keyId, sender.algorithm, manifestBytes, signature), 'SIGNATURE_INVALID');
}
