import { signingHash } from '../../algorithms.ts';
import { SealpostError } from '../../errors.ts';
import type { Signer } from '../types.ts';
import { ecdsaSign } from './ecdsa.ts';
import { localKeyId, signingAlgorithmOf, toPrivateKey, type KeyInput } from './key-objects.ts';

/**
 * A {@link Signer} over a local EC private key. P-256 signs on the calling thread (cheaper than
 * the thread pool's round trip); the slower curves sign on libuv's thread pool, so a busy sender
 * keeps its event loop free.
 *
 * @example
 * ```ts
 * const signer = createLocalSigner(await readFile('keys/sender.pem', 'utf8'))
 * ```
 */
export function createLocalSigner(privateKey: KeyInput): Signer {
  const key = toPrivateKey(privateKey);
  const algorithm = signingAlgorithmOf(key);
  const hash = signingHash(algorithm);
  return {
    keyId: localKeyId(key),
    algorithm,
    sign(data) {
      return ecdsaSign(hash, data, key).catch((error: unknown) => {
        throw new SealpostError('KEY_INVALID', 'signing failed', { cause: error });
      });
    },
  };
}
