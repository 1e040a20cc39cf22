import { signingHash } from '../../algorithms.ts';
import type { TrustedSender } from '../types.ts';
import { ecdsaVerify } from './ecdsa.ts';
import { localKeyId, signingAlgorithmOf, toPublicKey, type KeyInput } from './key-objects.ts';

/**
 * A {@link TrustedSender} for a local EC public key. Its algorithm comes from the key's curve,
 * never from a message. Verification runs on libuv's thread pool.
 *
 * @example
 * ```ts
 * const trust = createTrustStore([createLocalTrustedSender(await readFile('keys/sender.pub.pem', 'utf8'))])
 * ```
 */
export function createLocalTrustedSender(publicKey: KeyInput, label?: string): TrustedSender {
  const key = toPublicKey(publicKey);
  const algorithm = signingAlgorithmOf(key);
  const keyId = localKeyId(key);
  const hash = signingHash(algorithm);
  return {
    keyId,
    algorithm,
    ...(label === undefined ? {} : { label }),
    verifier: {
      verify(id, alg, data, signature) {
        if (id !== keyId || alg !== algorithm) return Promise.resolve(false);
        return ecdsaVerify(hash, data, key, signature);
      },
    },
  };
}
