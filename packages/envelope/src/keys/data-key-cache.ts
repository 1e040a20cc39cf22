import { createSecretKey, hash, type KeyObject } from 'node:crypto';
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
export function cachingUnwrapper(unwrapper: KeyUnwrapper, options: DataKeyCacheOptions = {}): CachingKeyUnwrapper {
  const max = options.maxEntries ?? 1000;
  const ttl = options.ttlMs ?? 600_000;
  if (!Number.isSafeInteger(max) || max < 1) throw new SealpostError('CONFIG_INVALID', 'dataKeyCache.maxEntries must be a positive integer');
  if (!Number.isSafeInteger(ttl) || ttl < 1) throw new SealpostError('CONFIG_INVALID', 'dataKeyCache.ttlMs must be a positive integer');
  // The bytes (zeroed on eviction) and the KeyObject the content-key derivation takes: imported
  // once per data key, not once per message.
  type Held = { readonly bytes: Uint8Array; readonly key: KeyObject | undefined };
  const cache = new LRUCache<string, Held, Uint8Array>({
    max,
    ttl,
    dispose: (held) => held.bytes.fill(0),
    fetchMethod: async (_digest, _stale, { context }) => {
      const bytes = await unwrapper.unwrap(context);
      // A key of the wrong length gets no KeyObject: the caller's length check rejects it.
      return { bytes, key: bytes.length === 32 ? createSecretKey(bytes) : undefined };
    },
  });
  const held = async (wrappedKey: Uint8Array): Promise<Held> => {
    const digest = hash('sha256', wrappedKey, 'base64');
    const value = cache.get(digest) ?? (await cache.fetch(digest, { context: wrappedKey }));
    if (!value) throw new SealpostError('UNWRAP_FAILED');
    return value;
  };
  return {
    keyId: unwrapper.keyId,
    algorithm: unwrapper.algorithm,
    async unwrap(wrappedKey) {
      // Callers get a copy: the cached key is zeroed on eviction.
      return Uint8Array.from((await held(wrappedKey)).bytes);
    },
    async unwrapKey(wrappedKey) {
      const value = await held(wrappedKey);
      return { length: value.bytes.length, key: value.key };
    },
  };
}

/** A caching {@link KeyUnwrapper} that also hands out the data key as a KeyObject, imported once. */
export interface CachingKeyUnwrapper extends KeyUnwrapper {
  /** The data key as a KeyObject (absent unless it is 32 bytes) and its length in bytes. */
  unwrapKey(wrappedKey: Uint8Array): Promise<{ length: number; key: KeyObject | undefined }>;
}

/** True when `unwrapper` is a {@link CachingKeyUnwrapper}. */
export function isCachingUnwrapper(unwrapper: KeyUnwrapper): unwrapper is CachingKeyUnwrapper {
  return typeof (unwrapper as Partial<CachingKeyUnwrapper>).unwrapKey === 'function';
}
