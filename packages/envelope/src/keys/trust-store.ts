import { SealpostError } from '../errors.ts';
import type { TrustedSender, TrustStore } from './types.ts';

/**
 * A {@link TrustStore} holding a fixed list of senders (local keys, KMS keys, or both).
 *
 * @example
 * ```ts
 * const trust = createTrustStore([createLocalTrustedSender(pem)])
 * ```
 */
export function createTrustStore(senders: Iterable<TrustedSender>): TrustStore {
  const byKeyId = new Map<string, TrustedSender>();
  for (const sender of senders) {
    const existing = byKeyId.get(sender.keyId);
    if (existing && existing.algorithm !== sender.algorithm) {
      throw new SealpostError('CONFIG_INVALID', `sender ${sender.keyId} is trusted twice with different algorithms`);
    }
    byKeyId.set(sender.keyId, sender);
  }
  return { sender: (keyId) => Promise.resolve(byKeyId.get(keyId)) };
}

/**
 * A {@link TrustStore} that asks each store in turn and takes the first sender one accepts:
 * typically a list of raw keys first, then certificate anchors. A certificate store's rejection
 * (a `CERT_*` error) stops the search.
 *
 * @example
 * ```ts
 * const trust = combineTrustStores(createTrustStore(senders), createCertificateTrustStore({ anchors: [rootPem] }))
 * ```
 */
export function combineTrustStores(...stores: readonly TrustStore[]): TrustStore {
  return {
    async sender(keyId, evidence) {
      for (const store of stores) {
        const sender = await store.sender(keyId, evidence);
        if (sender) return sender;
      }
      return undefined;
    },
  };
}
