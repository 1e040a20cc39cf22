import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { CURVE_SIGNING_ALGORITHM, WRAPPING_ALGORITHMS } from '../../algorithms.ts';
import { SealpostError } from '../../errors.ts';
import type { SigningAlgorithm } from '../types.ts';

/** PEM text, DER bytes or a node:crypto KeyObject. */
export type KeyInput = string | Uint8Array | KeyObject;

/**
 * The key id of a local key: base64url (no padding) of the SHA-256 of its public key's
 * DER SubjectPublicKeyInfo. Anyone holding the public key computes the same id.
 */
export function localKeyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64url');
}

/** Parses a private key (PKCS#8 or traditional PEM, or PKCS#8 DER). */
export function toPrivateKey(input: KeyInput): KeyObject {
  if (typeof input === 'object' && 'type' in input && !(input instanceof Uint8Array)) {
    if (input.type !== 'private') throw new SealpostError('KEY_INVALID', 'expected a private key, got a public key');
    return input;
  }
  try {
    return typeof input === 'string'
      ? createPrivateKey(input)
      : createPrivateKey({ key: Buffer.from(input), format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new SealpostError('KEY_INVALID', 'not a private key in PEM or PKCS#8 DER form', { cause });
  }
}

/** Parses a public key (SPKI PEM or DER); a private key yields its public half. */
export function toPublicKey(input: KeyInput): KeyObject {
  if (typeof input === 'object' && 'type' in input && !(input instanceof Uint8Array)) {
    return input.type === 'private' ? createPublicKey(input) : input;
  }
  try {
    return typeof input === 'string'
      ? createPublicKey(input)
      : createPublicKey({ key: Buffer.from(input), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new SealpostError('KEY_INVALID', 'not a public key in SPKI PEM or DER form', { cause });
  }
}

/** The signing algorithm for an EC key, as KMS would choose it for that curve. */
export function signingAlgorithmOf(key: KeyObject): SigningAlgorithm {
  const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
  const algorithm = curve === undefined ? undefined : CURVE_SIGNING_ALGORITHM[curve];
  if (!algorithm) {
    throw new SealpostError('KEY_INVALID', `signing keys must be EC P-256, P-384, P-521 or secp256k1 (got ${describeKey(key)})`);
  }
  return algorithm;
}

/** Checks that `key` is an RSA key of a size RSAES_OAEP_SHA_256 accepts. */
export function assertWrappingKey(key: KeyObject): void {
  const bits = key.asymmetricKeyType === 'rsa' ? key.asymmetricKeyDetails?.modulusLength : undefined;
  if (bits === undefined || !WRAPPING_ALGORITHMS.RSAES_OAEP_SHA_256.modulusBits.includes(bits)) {
    throw new SealpostError('KEY_INVALID', `encryption keys must be RSA 2048, 3072 or 4096 (got ${describeKey(key)})`);
  }
}

/** A short description of a key for error messages: `ec secp521r1`, `rsa 4096`. */
export function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  return [key.asymmetricKeyType ?? key.type, details?.namedCurve ?? details?.modulusLength].filter(Boolean).join(' ');
}
