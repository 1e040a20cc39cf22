import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { SealpostError } from '../errors.ts';
import type { KeyUnwrapper } from './types.ts';

/** Bounds of the receiver's cache of unwrapped data keys. */
export interface DataKeyCacheOptions {
  /** Most data keys held. @defaultValue 1000 */
  readonly maxEntries?: number;
  /** How long an unwrapped data key is kept, in ms. @defaultValue 600000 (10 minutes) */
  readonly ttlMs?: number;
}

/**
 * Wraps a {@link KeyUnwrapper} with a bounded, time-limited cache keyed by the SHA-256 of the
 * wrapped key, so a sender's reused data key costs one RSA decrypt or KMS Decrypt per
 * receiver, not one per message. Concurrent requests for the same wrapped key share one call;
 * failures are not cached. Evicted keys are zeroed.
 */
export function cachingUnwrapper(unwrapper: KeyUnwrapper, options: DataKeyCacheOptions = {}): KeyUnwrapper {
  const max = options.maxEntries ?? 1000;
  const ttl = options.ttlMs ?? 600_000;
  if (!Number.isSafeInteger(max) || max < 1) throw new SealpostError('CONFIG_INVALID', 'dataKeyCache.maxEntries must be a positive integer');
  if (!Number.isSafeInteger(ttl) || ttl < 1) throw new SealpostError('CONFIG_INVALID', 'dataKeyCache.ttlMs must be a positive integer');
  const cache = new LRUCache<string, Uint8Array, Uint8Array>({
    max,
    ttl,
    dispose: (key) => key.fill(0),
    fetchMethod: async (_digest, _stale, { context }) => unwrapper.unwrap(context),
  });
  return {
    keyId: unwrapper.keyId,
    algorithm: unwrapper.algorithm,
    async unwrap(wrappedKey) {
      const digest = createHash('sha256').update(wrappedKey).digest('base64');
      const key = await cache.fetch(digest, { context: wrappedKey });
      if (!key) throw new SealpostError('UNWRAP_FAILED');
      // Callers get a copy: the cached key is zeroed on eviction.
      return Uint8Array.from(key);
    },
  };
}
