import { sha256 } from '../sha256.ts';

/**
 * The Merkle tree of a batch, as RFC 9162 section 2.1 defines it for Certificate Transparency:
 * SHA-256, leaves hashed under the prefix 0x00 and interior nodes under 0x01, so no leaf can pose
 * as an interior node (a second-preimage attack on an unprefixed tree), and a tree of any size
 * (not only powers of two) splits at the largest power of two below its size.
 */

/** Bytes of every hash in the tree. */
export const HASH_BYTES = 32;
/** Most leaves in one batch: proofs then hold at most 32 hashes. */
export const MAX_LEAVES = 2 ** 32 - 1;

const LEAF_PREFIX = Buffer.of(0x00);
const NODE_PREFIX = Buffer.of(0x01);

// One-shot hashing: for inputs this small it costs less than a Hash object's set-up. (Base64 out:
// every supported Node version has it; a Buffer output is newer.)

/** `SHA-256(0x00 || manifest)`: a batch leaf. */
export function leafHash(manifest: Uint8Array): Buffer {
  return sha256(Buffer.concat([LEAF_PREFIX, manifest]));
}

/** `SHA-256(0x01 || left || right)`: an interior node. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(Buffer.concat([NODE_PREFIX, left, right]));
}

/** The largest power of two strictly below `n` (n >= 2). */
export function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** A built tree: its root and, for every leaf, the audit path from the leaf up. */
export interface MerkleTree {
  readonly root: Buffer;
  readonly paths: readonly Buffer[][];
}

/**
 * Builds the tree over `leaves` (leaf hashes, at least one) and every leaf's inclusion proof
 * (RFC 9162 2.1.3.1 PATH), siblings ordered from the leaf up, in O(n log n) hashes.
 */
export function buildTree(leaves: readonly Buffer[]): MerkleTree {
  if (leaves.length === 0) throw new RangeError('a batch needs at least one leaf');
  const paths: Buffer[][] = leaves.map(() => []);
  const node = (lo: number, hi: number): Buffer => {
    if (hi - lo === 1) return leaves[lo]!;
    const mid = lo + split(hi - lo);
    const left = node(lo, mid);
    const right = node(mid, hi);
    for (let i = lo; i < mid; i++) paths[i]!.push(right);
    for (let i = mid; i < hi; i++) paths[i]!.push(left);
    return nodeHash(left, right);
  };
  return { root: node(0, leaves.length), paths };
}

/**
 * The root that an inclusion proof leads to (RFC 9162 2.1.3.2), or undefined when the proof
 * cannot belong to leaf `index` of a tree of `count` leaves: the index is out of range, or the
 * path is shorter or longer than such a leaf's path. The caller compares the result with the
 * signed root.
 */
export function rootFromProof(leaf: Uint8Array, index: number, count: number, path: readonly Uint8Array[]): Buffer | undefined {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(count) && index >= 0 && index < count)) return undefined;
  let fn = index;
  let sn = count - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of path) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}
