import { MapShape, decodeCanonical, encodeCanonical } from '../cbor.ts';
import { needs } from '../errors.ts';
import { isSigningAlgorithm } from '../algorithms.ts';
import { expectMap, isKeyId } from '../format/header.ts';
import type { SigningAlgorithm } from '../keys/types.ts';
import { HASH_BYTES, MAX_LEAVES } from './tree.ts';

/** The value of every statement's `type` field: no statement reads as a manifest or the other way round. */
export const STATEMENT_TYPE = 'sealpost batch statement v1';
/** Largest `statement.cbor` a reader accepts (a 2,048-byte key id and the fixed fields fit). */
export const MAX_STATEMENT_BYTES = 4096;
/** Largest `proof.cbor` a reader accepts (32 hashes and an index fit). */
export const MAX_PROOF_BYTES = 2048;

/** A batch statement: what one signature covers for a whole batch. */
export interface BatchStatement {
  /** Root of the batch's Merkle tree. */
  readonly root: Uint8Array;
  /** Number of leaves (manifests) in the batch. */
  readonly count: number;
  /** The signing key and algorithm, as in every manifest of the batch. */
  readonly sender: { readonly keyId: string; readonly algorithm: SigningAlgorithm };
  /** When the batch was signed, Unix ms. */
  readonly created: number;
}

/** A leaf's inclusion proof: its index and the sibling hashes from the leaf up. */
export interface InclusionProof {
  readonly index: number;
  readonly path: readonly Uint8Array[];
}

/** Encodes a statement as deterministic CBOR: the exact bytes that are signed. */
export function encodeStatement(statement: BatchStatement): Buffer {
  return encodeCanonical({
    root: statement.root,
    type: STATEMENT_TYPE,
    count: statement.count,
    sender: { alg: statement.sender.algorithm, kid: statement.sender.keyId },
    created: statement.created,
  });
}

/**
 * Decodes `statement.cbor` strictly: deterministic CBOR, exactly the five fields, each of its
 * type and range [BATCH_INVALID, FORMAT_NONCANONICAL].
 */
export function decodeStatement(bytes: Uint8Array): BatchStatement {
  needs(bytes.length <= MAX_STATEMENT_BYTES, 'LIMIT_EXCEEDED', `statement.cbor exceeds ${MAX_STATEMENT_BYTES} bytes`);
  const map = expectMap(decodeCanonical(bytes, 'batch statement', 'BATCH_INVALID'), ['count', 'created', 'root', 'sender', 'type'], 'statement', 'BATCH_INVALID');
  const { count, created, root, sender, type } = map;
  needs(type === STATEMENT_TYPE, 'BATCH_INVALID', `statement.type must be ${JSON.stringify(STATEMENT_TYPE)}`);
  needs(root instanceof Uint8Array && root.length === HASH_BYTES, 'BATCH_INVALID', `statement.root must be ${HASH_BYTES} bytes`);
  needs(Number.isSafeInteger(count) && (count as number) >= 1 && (count as number) <= MAX_LEAVES, 'BATCH_INVALID', `statement.count must be from 1 to ${MAX_LEAVES}`);
  needs(Number.isSafeInteger(created), 'BATCH_INVALID', 'statement.created must be Unix milliseconds');
  const s = expectMap(sender, ['alg', 'kid'], 'statement.sender', 'BATCH_INVALID');
  needs(isKeyId(s.kid), 'BATCH_INVALID', 'statement.sender.kid must be a key id');
  needs(isSigningAlgorithm(s.alg), 'BATCH_INVALID', 'statement.sender.alg is not a supported signing algorithm');
  return { root, count: count as number, created: created as number, sender: { keyId: s.kid, algorithm: s.alg } };
}

// The proof map's keys, sorted and encoded once: a proof is encoded for every message of a batch.
const PROOF = new MapShape(['index', 'path']);

/** Encodes a proof as deterministic CBOR (`proof.cbor`). */
export function encodeProof(proof: InclusionProof): Buffer {
  return encodeCanonical(PROOF.of({ index: proof.index, path: proof.path }));
}

/** Decodes `proof.cbor` strictly: an index and at most 32 hashes of 32 bytes [BATCH_INVALID, FORMAT_NONCANONICAL]. */
export function decodeProof(bytes: Uint8Array): InclusionProof {
  needs(bytes.length <= MAX_PROOF_BYTES, 'LIMIT_EXCEEDED', `proof.cbor exceeds ${MAX_PROOF_BYTES} bytes`);
  const { index, path } = expectMap(decodeCanonical(bytes, 'inclusion proof', 'BATCH_INVALID'), ['index', 'path'], 'proof', 'BATCH_INVALID');
  needs(Number.isSafeInteger(index) && (index as number) >= 0 && (index as number) < MAX_LEAVES, 'BATCH_INVALID', 'proof.index must be an unsigned integer below 2^32 - 1');
  needs(Array.isArray(path) && path.length <= 32, 'BATCH_INVALID', 'proof.path must be an array of at most 32 hashes');
  needs(path.every((p) => p instanceof Uint8Array && p.length === HASH_BYTES), 'BATCH_INVALID', `every proof.path entry must be ${HASH_BYTES} bytes`);
  return { index: index as number, path: path as Uint8Array[] };
}
