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
