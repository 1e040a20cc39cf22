import { sign } from 'node:crypto';
import { signingHash } from '../../algorithms.ts';
import { SealpostError } from '../../errors.ts';
import type { Signer } from '../types.ts';
import { localKeyId, signingAlgorithmOf, toPrivateKey, type KeyInput } from './key-objects.ts';

/**
 * A {@link Signer} over a local EC private key. Signing runs on libuv's thread pool (the
 * callback form of `crypto.sign`), so a busy sender keeps its event loop free. The KeyObject is
 * passed bare: DER is the default signature encoding, and an options object around the key
 * makes Node re-import it on the calling thread (measured at about 30 µs per call).
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
      return new Promise((resolve, reject) => {
        sign(hash, data, key, (error, signature) => {
          if (error) reject(new SealpostError('KEY_INVALID', 'signing failed', { cause: error }));
          else resolve(signature);
        });
      });
    },
  };
}
