import { webcrypto } from 'node:crypto';
import { SealpostError } from '../../errors.ts';
import type { KeyUnwrapper } from '../types.ts';
import { assertWrappingKey, localKeyId, toPrivateKey, type KeyInput } from './key-objects.ts';

/**
 * A {@link KeyUnwrapper} over a local RSA private key. The RSA private operation (several ms
 * for RSA-4096) runs on libuv's thread pool through WebCrypto, so it does not stall the
 * event loop of a busy receiver.
 */
export function createLocalKeyUnwrapper(privateKey: KeyInput): KeyUnwrapper {
  const key = toPrivateKey(privateKey);
  assertWrappingKey(key);
  const cryptoKey = key.toCryptoKey({ name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
  return {
    keyId: localKeyId(key),
    algorithm: 'RSAES_OAEP_SHA_256',
    async unwrap(wrappedKey) {
      try {
        return new Uint8Array(await webcrypto.subtle.decrypt({ name: 'RSA-OAEP' }, cryptoKey, wrappedKey));
      } catch (cause) {
        throw new SealpostError('UNWRAP_FAILED', undefined, { cause });
      }
    },
  };
}
