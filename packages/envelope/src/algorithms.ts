import { SealpostError } from './errors.ts';
import type { SigningAlgorithm, WrappingAlgorithm } from './keys/types.ts';

/** What each signing algorithm means for local keys: its hash and the curves it may be used with. */
export const SIGNING_ALGORITHMS: Readonly<
  Record<SigningAlgorithm, { readonly hash: 'sha256' | 'sha384' | 'sha512'; readonly curves: readonly string[] }>
> = {
  ECDSA_SHA_256: { hash: 'sha256', curves: ['prime256v1', 'secp256k1'] },
  ECDSA_SHA_384: { hash: 'sha384', curves: ['secp384r1'] },
  ECDSA_SHA_512: { hash: 'sha512', curves: ['secp521r1'] },
};

/** Wrapping algorithms and the RSA modulus sizes they accept. */
export const WRAPPING_ALGORITHMS: Readonly<
  Record<WrappingAlgorithm, { readonly hash: 'sha256'; readonly modulusBits: readonly number[] }>
> = {
  RSAES_OAEP_SHA_256: { hash: 'sha256', modulusBits: [2048, 3072, 4096] },
};

/** The signing algorithm for a curve (Node's curve names), as KMS chooses it for the key spec. */
export const CURVE_SIGNING_ALGORITHM: Readonly<Record<string, SigningAlgorithm>> = {
  prime256v1: 'ECDSA_SHA_256',
  secp256k1: 'ECDSA_SHA_256',
  secp384r1: 'ECDSA_SHA_384',
  secp521r1: 'ECDSA_SHA_512',
};

/** True when `name` is a supported signing algorithm. */
export function isSigningAlgorithm(name: unknown): name is SigningAlgorithm {
  return typeof name === 'string' && Object.hasOwn(SIGNING_ALGORITHMS, name);
}

/** True when `name` is a supported wrapping algorithm. */
export function isWrappingAlgorithm(name: unknown): name is WrappingAlgorithm {
  return typeof name === 'string' && Object.hasOwn(WRAPPING_ALGORITHMS, name);
}

/** The hash a signing algorithm uses; throws KEY_INVALID for anything else. */
export function signingHash(algorithm: string): 'sha256' | 'sha384' | 'sha512' {
  if (!isSigningAlgorithm(algorithm)) {
    throw new SealpostError('KEY_INVALID', `unsupported signing algorithm ${JSON.stringify(algorithm)}`);
  }
  return SIGNING_ALGORITHMS[algorithm].hash;
}
