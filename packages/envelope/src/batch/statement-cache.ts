import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { SealpostError } from '../errors.ts';
import type { TrustedSender } from '../keys/types.ts';
import { KnownNodes } from './known-nodes.ts';
import { decodeStatement, type BatchStatement } from './statement.ts';

/** Bounds of the receiver's cache of verified batch statements. */
export interface StatementCacheOptions {
  /** Most statements held. @defaultValue 1000 */
  readonly maxEntries?: number;
  /** How long a verified statement is kept, in ms. @defaultValue 600000 (10 minutes) */
  readonly ttlMs?: number;
}

/** A statement whose signature verified for a sender, as the cache holds it. */
export interface VerifiedStatement {
  /** The decoded statement (decoding is a function of the bytes, which the cache key covers). */
  readonly statement: BatchStatement;
  /**
   * The root an inclusion proof leads to, as `rootFromProof` computes it, reusing the tree nodes
   * of this batch's earlier proofs that led to the signed root.
   */
  root(leaf: Buffer, index: number, path: readonly Uint8Array[]): Buffer | undefined;
}

/** Verifies statement signatures, remembering the ones that verified. */
export interface StatementCache {
  /**
   * The held entry for exactly these statement and signature bytes verified for `sender` (its
   * key id and configured algorithm), or undefined: no signature check, a hash and a lookup.
   */
  lookup(sender: TrustedSender, statement: Uint8Array, signature: Uint8Array): VerifiedStatement | undefined;
  /**
   * Resolves true when `signature` verifies over `statement` for the trusted `sender`, and then
   * holds the statement for {@link lookup}, which decodes it from the very bytes that verified.
   */
  verify(sender: TrustedSender, statement: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

/** Statements whose proofs' nodes are kept: the batches being read now (up to KnownNodes' cap of nodes each). */
const NODE_MEMO_STATEMENTS = 64;

/**
 * A bounded, time-limited cache of verified batch statements, beside the data-key cache: the
 * first message of a batch pays one signature verification, the others of the same batch a hash
 * and a lookup, and their proofs reuse the nodes earlier proofs of the batch computed. The key is
 * the SHA-256 of the signature and the statement, with the sender's key id and algorithm, so a
 * hit needs the very bytes that verified for that key (a message carrying the same statement with
 * another signature is verified on its own). Concurrent checks of one statement share one
 * verification; a failure is never cached.
 */
export function createStatementCache(options: StatementCacheOptions = {}): StatementCache {
  const max = options.maxEntries ?? 1000;
  const ttl = options.ttlMs ?? 600_000;
  if (!Number.isSafeInteger(max) || max < 1) throw new SealpostError('CONFIG_INVALID', 'statementCache.maxEntries must be a positive integer');
  if (!Number.isSafeInteger(ttl) || ttl < 1) throw new SealpostError('CONFIG_INVALID', 'statementCache.ttlMs must be a positive integer');
  type Check = { sender: TrustedSender; statement: Uint8Array; signature: Uint8Array };
  // A held statement is decoded, once, from its own bytes when first looked up.
  type Held = { statement: BatchStatement | undefined };
  const cache = new LRUCache<string, Held, Check>({
    max,
    ttl,
    fetchMethod: async (_key, _stale, { context: c }) =>
      (await c.sender.verifier.verify(c.sender.keyId, c.sender.algorithm, c.statement, c.signature)) ? { statement: undefined } : undefined,
  });
  // The nodes of the batches being read now: a small window, as a batch's messages arrive together.
  const memos = new LRUCache<string, KnownNodes>({ max: Math.min(max, NODE_MEMO_STATEMENTS), ttl });
  const keyOf = (sender: TrustedSender, statement: Uint8Array, signature: Uint8Array) => {
    // The signature's length first: signature and statement bytes split only one way.
    const digest = hash('sha256', Buffer.concat([Buffer.of(signature.length >> 8, signature.length & 0xff), signature, statement]), 'base64');
    return `${sender.algorithm}\0${sender.keyId}\0${digest}`;
  };
  return {
    lookup(sender, statement, signature) {
      const key = keyOf(sender, statement, signature);
      const held = cache.get(key);
      if (!held) return undefined;
      const decoded = (held.statement ??= decodeStatement(statement));
      return {
        statement: decoded,
        root(leaf, index, path) {
          let nodes = memos.get(key);
          if (!nodes) memos.set(key, (nodes = new KnownNodes(decoded.count, decoded.root)));
          return nodes.root(leaf, index, path);
        },
      };
    },
    async verify(sender, statement, signature) {
      return (await cache.fetch(keyOf(sender, statement, signature), { context: { sender, statement, signature } })) !== undefined;
    },
  };
}
