import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { SealpostError } from '../errors.ts';
import type { TrustedSender } from '../keys/types.ts';
import { decodeStatement, type BatchStatement } from './statement.ts';

/** Bounds of the receiver's cache of verified batch statements. */
export interface StatementCacheOptions {
  /** Most statements held. @defaultValue 1000 */
  readonly maxEntries?: number;
  /** How long a verified statement is kept, in ms. @defaultValue 600000 (10 minutes) */
  readonly ttlMs?: number;
}

/** Verifies statement signatures, remembering the ones that verified. */
export interface StatementCache {
  /** {@link decodeStatement}, remembered for the statements seen recently (decoding is a function of the bytes). */
  decode(statement: Uint8Array): BatchStatement;
  /** Resolves true when `signature` verifies over `statement` for the trusted `sender`. */
  verify(sender: TrustedSender, statement: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

/**
 * A bounded, time-limited cache of verified batch statements, beside the data-key cache: the
 * first message of a batch pays one signature verification, the others of the same batch a
 * lookup. The key is the SHA-256 of the sender's key id and algorithm, the signature and the
 * statement, so a hit needs the very bytes that verified (a message carrying the same statement
 * with another signature is verified on its own). Concurrent lookups of one statement share one
 * verification; a failure is never cached.
 */
export function createStatementCache(options: StatementCacheOptions = {}): StatementCache {
  const max = options.maxEntries ?? 1000;
  const ttl = options.ttlMs ?? 600_000;
  if (!Number.isSafeInteger(max) || max < 1) throw new SealpostError('CONFIG_INVALID', 'statementCache.maxEntries must be a positive integer');
  if (!Number.isSafeInteger(ttl) || ttl < 1) throw new SealpostError('CONFIG_INVALID', 'statementCache.ttlMs must be a positive integer');
  type Check = { sender: TrustedSender; statement: Uint8Array; signature: Uint8Array };
  const cache = new LRUCache<string, true, Check>({
    max,
    ttl,
    fetchMethod: async (_key, _stale, { context: c }) =>
      (await c.sender.verifier.verify(c.sender.keyId, c.sender.algorithm, c.statement, c.signature)) ? true : undefined,
  });
  // Decoded statements, by the hash of their bytes: every message of a batch carries the same ones.
  const decoded = new LRUCache<string, BatchStatement>({ max, ttl });
  return {
    decode(statement) {
      const key = hash('sha256', statement, 'base64');
      let value = decoded.get(key);
      if (!value) {
        value = decodeStatement(statement);
        decoded.set(key, value);
      }
      return value;
    },
    async verify(sender, statement, signature) {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(signature.length);
      const key = hash('sha256', Buffer.concat([Buffer.from(`${sender.keyId}\0${sender.algorithm}\0`), length, signature, statement]), 'base64');
      return (await cache.fetch(key, { context: { sender, statement, signature } })) === true;
    },
  };
}
