import { createPublicKey, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { SealpostError } from '../../errors.ts';
import { localKeyId } from './key-objects.ts';

const generate = promisify(generateKeyPair);

/** Key types `sealpost keygen` makes: EC for signing, RSA for encryption. */
export const LOCAL_KEY_TYPES = {
  'ec-p256': { kind: 'ec', curve: 'prime256v1' },
  'ec-p384': { kind: 'ec', curve: 'secp384r1' },
  'ec-p521': { kind: 'ec', curve: 'secp521r1' },
  'ec-secp256k1': { kind: 'ec', curve: 'secp256k1' },
  'rsa-2048': { kind: 'rsa', bits: 2048 },
  'rsa-3072': { kind: 'rsa', bits: 3072 },
  'rsa-4096': { kind: 'rsa', bits: 4096 },
} as const;

/** A key type name. */
export type LocalKeyType = keyof typeof LOCAL_KEY_TYPES;

/** A generated key pair in PEM form (PKCS#8 private, SPKI public) with its key id. */
export interface LocalKeyPair {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly keyId: string;
}

/** Generates a key pair of `type`. */
export async function generateLocalKeyPair(type: LocalKeyType): Promise<LocalKeyPair> {
  const spec = LOCAL_KEY_TYPES[type];
  if (!spec) {
    throw new SealpostError('CONFIG_INVALID', `unknown key type ${JSON.stringify(type)}; expected one of ${Object.keys(LOCAL_KEY_TYPES).join(', ')}`);
  }
  const pair =
    spec.kind === 'ec'
      ? await generate('ec', { namedCurve: spec.curve, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } })
      : await generate('rsa', { modulusLength: spec.bits, publicExponent: 0x10001, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  return { privateKeyPem: pair.privateKey, publicKeyPem: pair.publicKey, keyId: localKeyId(createPublicKey(pair.publicKey)) };
}
