import { SealpostError, createLocalKeyWrapper, createLocalTrustedSender, describeKey, toPublicKey, type SigningAlgorithm, type WrappingAlgorithm } from '@sealpost/envelope';
import { inFile, kms, kmsKeyId, readPem } from './ref-parts.ts';
import type { KeyRef, ResolveOptions } from './resolve.ts';

/** What `sealpost keys id` reports about a key reference. */
export interface KeyRefDescription {
  /** The reference as given. */
  readonly ref: KeyRef;
  /**
   * The key id a manifest or recipient entry carries for this key: for a local key the
   * base64url SHA-256 of its public key's DER SubjectPublicKeyInfo, for a KMS key its key ARN.
   */
  readonly keyId: string;
  /** `sender` for a signing key (EC, SIGN_VERIFY), `recipient` for an encryption key (RSA, ENCRYPT_DECRYPT). */
  readonly role: 'sender' | 'recipient';
  /** The algorithm the envelope uses with it. */
  readonly algorithm: SigningAlgorithm | WrappingAlgorithm;
  /** The key type: `ec prime256v1`, `rsa 2048`, or a KMS KeySpec such as `ECC_NIST_P256`. */
  readonly type: string;
}

/**
 * Describes the key behind `ref` (a PEM file, public or private, or `kms:KEY`) as the envelope
 * sees it: the key id it computes, whether the key signs (a sender) or wraps data keys (a
 * recipient), and its algorithm. A KMS key costs one DescribeKey call and is checked as the
 * receiver and sender check it (Enabled, usage, key spec). An EC key that is not a signing
 * curve, or an RSA key of another size, is KEY_INVALID.
 *
 * @example
 * ```ts
 * const { keyId, role } = await describeKeyRef('keys/sender.pub.pem')
 * ```
 */
export async function describeKeyRef(ref: KeyRef, options: ResolveOptions = {}): Promise<KeyRefDescription> {
  const kmsKey = kmsKeyId(ref);
  if (kmsKey !== undefined) {
    const { module, client } = await kms(options);
    try {
      const metadata = await module.describeAnyKey(client, kmsKey);
      return metadata.purpose === 'sign'
        ? { ref, keyId: metadata.Arn, role: 'sender', algorithm: module.KEY_SPEC_SIGNING_ALGORITHM[metadata.KeySpec]!, type: metadata.KeySpec }
        : { ref, keyId: metadata.Arn, role: 'recipient', algorithm: 'RSAES_OAEP_SHA_256', type: metadata.KeySpec };
    } finally {
      client.destroy();
    }
  }
  const pem = await readPem(ref, 'key');
  let key;
  try {
    key = toPublicKey(pem);
  } catch (error) {
    throw new SealpostError('KEY_INVALID', `${ref}: not a PEM public or private key`, { cause: error });
  }
  // The envelope's own constructors compute the id and refuse unusable keys, so the id shown is the one messages carry.
  return inFile(ref, (): KeyRefDescription => {
    if (key.asymmetricKeyType === 'rsa') {
      const wrapper = createLocalKeyWrapper(key);
      return { ref, keyId: wrapper.keyId, role: 'recipient', algorithm: wrapper.algorithm, type: describeKey(key) };
    }
    const sender = createLocalTrustedSender(key);
    return { ref, keyId: sender.keyId, role: 'sender', algorithm: sender.algorithm, type: describeKey(key) };
  });
}
