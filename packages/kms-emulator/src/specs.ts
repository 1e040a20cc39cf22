/** What each key spec is, as KMS describes it. */
export interface KeySpecInfo {
  readonly kind: 'ec' | 'rsa' | 'symmetric';
  /** OpenSSL name of the curve (EC keys). */
  readonly curve?: 'prime256v1' | 'secp384r1' | 'secp521r1' | 'secp256k1';
  /** Modulus length (RSA keys). */
  readonly bits?: number;
  /** The KeyUsage values KMS allows for the spec. */
  readonly usages: readonly string[];
}

/** The key specs the emulator creates. */
export const KEY_SPECS: Readonly<Record<string, KeySpecInfo>> = {
  ECC_NIST_P256: { kind: 'ec', curve: 'prime256v1', usages: ['SIGN_VERIFY'] },
  ECC_NIST_P384: { kind: 'ec', curve: 'secp384r1', usages: ['SIGN_VERIFY'] },
  ECC_NIST_P521: { kind: 'ec', curve: 'secp521r1', usages: ['SIGN_VERIFY'] },
  ECC_SECG_P256K1: { kind: 'ec', curve: 'secp256k1', usages: ['SIGN_VERIFY'] },
  RSA_2048: { kind: 'rsa', bits: 2048, usages: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'] },
  RSA_3072: { kind: 'rsa', bits: 3072, usages: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'] },
  RSA_4096: { kind: 'rsa', bits: 4096, usages: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'] },
  SYMMETRIC_DEFAULT: { kind: 'symmetric', usages: ['ENCRYPT_DECRYPT'] },
};

/** Looks up a spec the emulator knows; the caller has validated it at CreateKey. */
export function specInfo(spec: string): KeySpecInfo {
  const info = KEY_SPECS[spec];
  if (!info) throw new Error(`unknown key spec ${spec}`);
  return info;
}

const RSA_SIGNING = ['RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512', 'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512'];

/** Signing algorithms KMS lists for a key spec. */
export function signingAlgorithms(spec: string): string[] {
  switch (spec) {
    case 'ECC_NIST_P256':
    case 'ECC_SECG_P256K1':
      return ['ECDSA_SHA_256'];
    case 'ECC_NIST_P384':
      return ['ECDSA_SHA_384'];
    case 'ECC_NIST_P521':
      return ['ECDSA_SHA_512'];
    default:
      return specInfo(spec).kind === 'rsa' ? [...RSA_SIGNING] : [];
  }
}

/** Encryption algorithms KMS lists for an ENCRYPT_DECRYPT key of a spec. */
export function encryptionAlgorithms(spec: string): string[] {
  return specInfo(spec).kind === 'symmetric' ? ['SYMMETRIC_DEFAULT'] : ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'];
}

/** Node's name for the hash in a KMS algorithm name (`..._SHA_256`, `..._SHA_1`). */
export function algorithmHash(algorithm: string): 'sha1' | 'sha256' | 'sha384' | 'sha512' {
  if (algorithm.endsWith('SHA_1')) return 'sha1';
  if (algorithm.endsWith('SHA_256')) return 'sha256';
  if (algorithm.endsWith('SHA_384')) return 'sha384';
  return 'sha512';
}

/** Output length in bytes of each hash. */
export const HASH_BYTES = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 } as const;

/**
 * Largest plaintext RSAES-OAEP accepts for a modulus and hash: k - 2 hLen - 2 (RFC 8017 7.1.1),
 * the numbers the KMS Encrypt reference lists (RSA_2048: 214 bytes with SHA-1, 190 with SHA-256).
 */
export function oaepMaxPlaintext(bits: number, algorithm: string): number {
  return bits / 8 - 2 * HASH_BYTES[algorithmHash(algorithm)] - 2;
}
