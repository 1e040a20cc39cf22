import { MapShape, decodeCanonical, encodeCanonical } from '../cbor.ts';
import { expectMap } from '../format/header.ts';
import { needs } from '../errors.ts';
import { MAX_SIGNATURE_BYTES, type BatchParts, type BundleEvidence } from '../bundle/bundle.ts';
import type { BatchEvidenceBytes } from '../message.ts';
import { MAX_PROOF_BYTES, MAX_STATEMENT_BYTES } from './statement.ts';

// The evidence map's keys, sorted and encoded once: every opened batch-signed message carries one.
const EVIDENCE = new MapShape(['proof', 'signature', 'statement']);

/**
 * One value for what signs a manifest, in either form, where a single byte string is stored
 * (a message store's `signature` column): the DER signature itself for the single form, and for
 * the batch form the deterministic CBOR map `{ proof, signature, statement }` of the three entries'
 * bytes (FORMAT.md 15.8). The two never collide: DER starts with 0x30, the map with 0xa3.
 */
export function encodeEvidence(signature: Uint8Array, batch?: BatchParts): Uint8Array {
  if (!batch) return signature;
  return encodeCanonical(EVIDENCE.of({ proof: batch.proof, signature, statement: batch.statement }));
}

/** The evidence fields of a verified message, from the bundle's entries. */
export function verifiedEvidence(evidence: BundleEvidence): { signature: Uint8Array; batch?: BatchEvidenceBytes } {
  if (!evidence.batch) return { signature: evidence.signature };
  const { statement, proof } = evidence.batch;
  return { signature: encodeEvidence(evidence.signature, evidence.batch), batch: { statement, signature: evidence.signature, proof } };
}

/** Reads {@link encodeEvidence}'s output back into a signature and, for the batch form, its statement and proof. */
export function decodeEvidence(bytes: Uint8Array): { signature: Uint8Array; batch?: BatchEvidenceBytes } {
  if (bytes[0] !== 0xa3) return { signature: bytes };
  const { proof, signature, statement } = expectMap(decodeCanonical(bytes, 'batch evidence', 'BATCH_INVALID'), ['proof', 'signature', 'statement'], 'evidence', 'BATCH_INVALID');
  needs(statement instanceof Uint8Array && statement.length <= MAX_STATEMENT_BYTES, 'BATCH_INVALID', 'evidence.statement must be bytes');
  needs(signature instanceof Uint8Array && signature.length > 0 && signature.length <= MAX_SIGNATURE_BYTES, 'BATCH_INVALID', 'evidence.signature must be bytes');
  needs(proof instanceof Uint8Array && proof.length <= MAX_PROOF_BYTES, 'BATCH_INVALID', 'evidence.proof must be bytes');
  return { signature, batch: { statement, signature, proof } };
}
