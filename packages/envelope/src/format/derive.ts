import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';

/** HKDF info string: binds the derivation to this format and version. */
export const KEY_INFO = Buffer.from('sealpost v1 content key and key commitment', 'latin1');

/**
 * Derives the per-message content key and the key commitment from the data key and the
 * per-message salt: HKDF-SHA-256(ikm = data key, salt = salt, info = KEY_INFO, L = 64);
 * bytes 0..31 are the AES-256-GCM content key, bytes 32..63 the commitment. A fresh salt per
 * message gives a fresh content key even when a data key is reused, so frame nonces (a counter)
 * never repeat under one key.
 *
 * Keys are passed to node:crypto as KeyObjects: handing it raw bytes costs a key import per
 * call (measured at over 10 µs, more than the AES-GCM of a 4 KiB bundle).
 */
export function deriveMessageKeys(dataKey: KeyObject, salt: Uint8Array): { contentKey: KeyObject; commitment: Buffer } {
  const okm = Buffer.from(hkdfSync('sha256', dataKey, salt, KEY_INFO, 64));
  const contentKey = createSecretKey(okm.subarray(0, 32));
  const commitment = Buffer.from(okm.subarray(32, 64));
  okm.fill(0);
  return { contentKey, commitment };
}
