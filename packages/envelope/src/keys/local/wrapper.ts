import { webcrypto } from 'node:crypto';
import type { KeyWrapper } from '../types.ts';
import { assertWrappingKey, localKeyId, toPublicKey, type KeyInput } from './key-objects.ts';

/**
 * A {@link KeyWrapper} that RSA-OAEP-SHA-256 encrypts data keys to a recipient's public key
 * (a local key, or a KMS key's public half: KMS Decrypt accepts what this produces).
 */
export function createLocalKeyWrapper(publicKey: KeyInput, keyId?: string): KeyWrapper {
  const key = toPublicKey(publicKey);
  assertWrappingKey(key);
  const cryptoKey = key.toCryptoKey({ name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
  return {
    keyId: keyId ?? localKeyId(key),
    algorithm: 'RSAES_OAEP_SHA_256',
    async wrap(dataKey) {
      return new Uint8Array(await webcrypto.subtle.encrypt({ name: 'RSA-OAEP' }, cryptoKey, dataKey));
    },
  };
}
