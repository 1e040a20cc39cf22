import { createHash } from 'node:crypto';
import { DecryptCommand, EncryptCommand, SignCommand, VerifyCommand, type KMSClient } from '@aws-sdk/client-kms';
import {
  SealpostError,
  cachingUnwrapper,
  createLocalKeyWrapper,
  createLocalTrustedSender,
  signingHash,
  type DataKeyCacheOptions,
  type KeyUnwrapper,
  type KeyWrapper,
  type Signer,
  type TrustedSender,
} from '@sealpost/envelope';
import { KEY_SPEC_SIGNING_ALGORITHM, describeAndCheck, getPublicKey } from './describe.ts';
import { mapKmsError } from './errors.ts';

/** A KMS key to use: a key id, key ARN, `alias/name` or alias ARN. */
export interface KmsKeyOptions {
  readonly client: KMSClient;
  readonly keyId: string;
}

/**
 * A {@link Signer} whose private key never leaves KMS: the manifest is hashed locally and KMS
 * signs the DIGEST (so size never matters; RAW messages are capped at 4096 bytes). One Sign
 * call per message. The key id written into manifests is the key ARN.
 *
 * @example
 * ```ts
 * const signer = await createKmsSigner({ client: createKmsClient(), keyId: 'alias/sealpost-sender' })
 * ```
 */
export async function createKmsSigner({ client, keyId }: KmsKeyOptions): Promise<Signer> {
  const metadata = await describeAndCheck(client, keyId, 'sign');
  const algorithm = KEY_SPEC_SIGNING_ALGORITHM[metadata.KeySpec]!;
  const hash = signingHash(algorithm);
  return {
    keyId: metadata.Arn,
    algorithm,
    async sign(data) {
      try {
        const { Signature } = await client.send(
          new SignCommand({ KeyId: metadata.Arn, Message: createHash(hash).update(data).digest(), MessageType: 'DIGEST', SigningAlgorithm: algorithm }),
        );
        if (!Signature) throw new SealpostError('KMS_UNAVAILABLE', `KMS Sign on ${metadata.Arn} returned no signature`);
        return Signature;
      } catch (error) {
        throw mapKmsError(error, metadata.Arn, 'Sign');
      }
    },
  };
}

/**
 * A {@link TrustedSender} for a KMS signing key. `local` (default) verifies with the public key
 * fetched once by GetPublicKey: no KMS call per message. `kms` calls the Verify API for every
 * message, for deployments that want each verification in CloudTrail.
 */
export async function createKmsTrustedSender({ client, keyId, mode = 'local' }: KmsKeyOptions & { mode?: 'local' | 'kms' }): Promise<TrustedSender> {
  const metadata = await describeAndCheck(client, keyId, 'sign');
  const algorithm = KEY_SPEC_SIGNING_ALGORITHM[metadata.KeySpec]!;
  const hash = signingHash(algorithm);
  const arn = metadata.Arn;
  if (mode === 'local') {
    // The envelope's local verifier, under the key's ARN: the same thread policy as local keys.
    const local = createLocalTrustedSender(await getPublicKey(client, arn));
    return {
      keyId: arn,
      algorithm,
      label: keyId,
      verifier: {
        verify(id, alg, data, signature) {
          if (id !== arn || alg !== algorithm) return Promise.resolve(false);
          return local.verifier.verify(local.keyId, local.algorithm, data, signature);
        },
      },
    };
  }
  return {
    keyId: arn,
    algorithm,
    label: keyId,
    verifier: {
      async verify(id, alg, data, signature) {
        if (id !== arn || alg !== algorithm) return false;
        try {
          const { SignatureValid } = await client.send(
            new VerifyCommand({ KeyId: arn, Message: createHash(hash).update(data).digest(), MessageType: 'DIGEST', Signature: signature, SigningAlgorithm: algorithm }),
          );
          return SignatureValid === true;
        } catch (error) {
          if ((error as Error).name === 'KMSInvalidSignatureException') return false;
          throw mapKmsError(error, arn, 'Verify');
        }
      },
    },
  };
}

/**
 * A {@link KeyWrapper} for a KMS encryption key. `local` (default) wraps with RSA-OAEP-SHA-256
 * under the public key from GetPublicKey — no KMS call per data key, and partners without AWS
 * credentials can encrypt to us; `encrypt` calls KMS Encrypt. KMS Decrypt opens both.
 */
export async function createKmsKeyWrapper({ client, keyId, mode = 'local' }: KmsKeyOptions & { mode?: 'local' | 'encrypt' }): Promise<KeyWrapper> {
  const metadata = await describeAndCheck(client, keyId, 'encrypt');
  const arn = metadata.Arn;
  if (mode === 'local') return createLocalKeyWrapper(await getPublicKey(client, arn), arn);
  return {
    keyId: arn,
    algorithm: 'RSAES_OAEP_SHA_256',
    async wrap(dataKey) {
      try {
        const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: arn, Plaintext: dataKey, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
        if (!CiphertextBlob) throw new SealpostError('KMS_UNAVAILABLE', `KMS Encrypt on ${arn} returned no ciphertext`);
        return CiphertextBlob;
      } catch (error) {
        throw mapKmsError(error, arn, 'Encrypt');
      }
    },
  };
}

/**
 * A {@link KeyUnwrapper} for a KMS encryption key: KMS Decrypt with RSAES_OAEP_SHA_256. Behind
 * the bounded data-key cache by default, so a sender's reused data key costs one Decrypt.
 */
export async function createKmsKeyUnwrapper({ client, keyId, cache = {} }: KmsKeyOptions & { cache?: DataKeyCacheOptions | false }): Promise<KeyUnwrapper> {
  const metadata = await describeAndCheck(client, keyId, 'encrypt');
  const arn = metadata.Arn;
  const unwrapper: KeyUnwrapper = {
    keyId: arn,
    algorithm: 'RSAES_OAEP_SHA_256',
    async unwrap(wrappedKey) {
      try {
        const { Plaintext } = await client.send(new DecryptCommand({ KeyId: arn, CiphertextBlob: wrappedKey, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
        if (!Plaintext) throw new SealpostError('UNWRAP_FAILED', `KMS Decrypt on ${arn} returned no plaintext`);
        return Plaintext;
      } catch (error) {
        throw mapKmsError(error, arn, 'Decrypt');
      }
    },
  };
  return cache === false ? unwrapper : cachingUnwrapper(unwrapper, cache);
}
