import { timingSafeEqual } from 'node:crypto';
import { needs } from '../errors.ts';
import type { TrustedSender } from '../keys/types.ts';
import type { Manifest } from '../message.ts';
import type { BatchParts } from '../bundle/bundle.ts';
import { decodeProof, decodeStatement } from './statement.ts';
import type { StatementCache } from './statement-cache.ts';
import { leafHash, rootFromProof } from './tree.ts';

/**
 * The batch form's signature check (FORMAT.md 15.6), after the manifest's sender is known to be
 * trusted with its configured algorithm: statement and proof decode strictly; the statement
 * names the manifest's sender key and the configured algorithm; the proof leads from the
 * manifest's leaf to the signed root; the statement's signature verifies with the trusted key.
 * With `cache`, a statement already verified for this sender (the same statement and signature
 * bytes) skips the signature check (15.7) and its decoding, and the proof reuses the nodes of the
 * batch's earlier proofs; every other step runs for every message.
 */
export async function verifyBatchEvidence(manifest: Manifest, manifestBytes: Uint8Array, sender: TrustedSender, signature: Uint8Array, batch: BatchParts, cache?: StatementCache): Promise<void> {
  const held = cache?.lookup(sender, batch.statement, signature);
  const statement = held ? held.statement : decodeStatement(batch.statement);
  const proof = decodeProof(batch.proof);
  needs(statement.sender.keyId === manifest.sender.keyId, 'BATCH_STATEMENT_MISMATCH', `the batch statement is for key ${statement.sender.keyId}, the manifest's sender is ${manifest.sender.keyId}`);
  needs(
    statement.sender.algorithm === sender.algorithm,
    'ALGORITHM_MISMATCH',
    `sender key ${sender.keyId} is configured for ${sender.algorithm}, the batch statement claims ${statement.sender.algorithm}`,
  );
  const leaf = leafHash(manifestBytes);
  const root = held ? held.root(leaf, proof.index, proof.path) : rootFromProof(leaf, proof.index, statement.count, proof.path);
  needs(root !== undefined && timingSafeEqual(root, statement.root), 'BATCH_PROOF_INVALID', `the inclusion proof for leaf ${proof.index} of ${statement.count} does not lead to the signed root`);
  if (held) return;
  const valid = cache ? await cache.verify(sender, batch.statement, signature) : await sender.verifier.verify(sender.keyId, sender.algorithm, batch.statement, signature);
  needs(valid, 'SIGNATURE_INVALID', 'the batch statement signature does not verify');
}
