import { DescribeKeyCommand, GetPublicKeyCommand, type KeyMetadata, type KMSClient } from '@aws-sdk/client-kms';
import { SealpostError, type SigningAlgorithm } from '@sealpost/envelope';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mapKmsError } from './errors.ts';

/** The signing algorithm KMS uses for each ECC key spec (the one Sealpost uses). */
export const KEY_SPEC_SIGNING_ALGORITHM: Readonly<Record<string, SigningAlgorithm>> = {
  ECC_NIST_P256: 'ECDSA_SHA_256',
  ECC_NIST_P384: 'ECDSA_SHA_384',
  ECC_NIST_P521: 'ECDSA_SHA_512',
  ECC_SECG_P256K1: 'ECDSA_SHA_256',
};

const WRAPPING_KEY_SPECS = new Set(['RSA_2048', 'RSA_3072', 'RSA_4096']);

/** What a key is checked for at startup. */
export type KeyPurpose = 'sign' | 'encrypt';

/**
 * Calls DescribeKey and checks the key is usable for `purpose`: Enabled, the right KeyUsage
 * and KeySpec, and the algorithm Sealpost needs among the supported ones. Fails with
 * KMS_KEY_UNUSABLE naming the key and what is wrong.
 */
export async function describeAndCheck(client: KMSClient, keyId: string, purpose: KeyPurpose): Promise<KeyMetadata & { Arn: string; KeySpec: string }> {
  return checkKeyMetadata(await describeKey(client, keyId), keyId, purpose);
}

/**
 * Calls DescribeKey and checks the key is usable for the purpose its KeyUsage names (SIGN_VERIFY:
 * sign, ENCRYPT_DECRYPT: encrypt), as {@link describeAndCheck} would for that purpose.
 */
export async function describeAnyKey(client: KMSClient, keyId: string): Promise<KeyMetadata & { Arn: string; KeySpec: string; purpose: KeyPurpose }> {
  const metadata = await describeKey(client, keyId);
  const purpose: KeyPurpose = metadata?.KeyUsage === 'SIGN_VERIFY' ? 'sign' : 'encrypt';
  return { ...checkKeyMetadata(metadata, keyId, purpose), purpose };
}

async function describeKey(client: KMSClient, keyId: string): Promise<KeyMetadata | undefined> {
  try {
    return (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
  } catch (error) {
    throw mapKmsError(error, keyId, 'DescribeKey');
  }
}

function checkKeyMetadata(metadata: KeyMetadata | undefined, keyId: string, purpose: KeyPurpose): KeyMetadata & { Arn: string; KeySpec: string } {
  const problem = (text: string) => new SealpostError('KMS_KEY_UNUSABLE', `KMS key ${keyId}${metadata?.Arn && metadata.Arn !== keyId ? ` (${metadata.Arn})` : ''} ${text}`);
  if (!metadata?.Arn || !metadata.KeySpec) throw problem('has no ARN or key spec in DescribeKey');
  if (metadata.KeyState !== 'Enabled') throw problem(`is ${metadata.KeyState ?? 'not enabled'}; it must be Enabled`);
  if (purpose === 'sign') {
    if (metadata.KeyUsage !== 'SIGN_VERIFY') throw problem(`has KeyUsage ${metadata.KeyUsage}; a signing key needs SIGN_VERIFY`);
    const algorithm = KEY_SPEC_SIGNING_ALGORITHM[metadata.KeySpec];
    if (!algorithm) throw problem(`has KeySpec ${metadata.KeySpec}; a signing key must be ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521 or ECC_SECG_P256K1`);
    if (metadata.SigningAlgorithms && !metadata.SigningAlgorithms.includes(algorithm)) throw problem(`does not support ${algorithm}`);
  } else {
    if (metadata.KeyUsage !== 'ENCRYPT_DECRYPT') throw problem(`has KeyUsage ${metadata.KeyUsage}; an encryption key needs ENCRYPT_DECRYPT`);
    if (!WRAPPING_KEY_SPECS.has(metadata.KeySpec)) throw problem(`has KeySpec ${metadata.KeySpec}; an encryption key must be RSA_2048, RSA_3072 or RSA_4096`);
    if (metadata.EncryptionAlgorithms && !metadata.EncryptionAlgorithms.includes('RSAES_OAEP_SHA_256')) throw problem('does not support RSAES_OAEP_SHA_256');
  }
  return metadata as KeyMetadata & { Arn: string; KeySpec: string };
}

/** The key's public half from GetPublicKey (DER SubjectPublicKeyInfo), as a KeyObject. */
export async function getPublicKey(client: KMSClient, keyId: string): Promise<KeyObject> {
  try {
    const { PublicKey } = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
    if (!PublicKey) throw new SealpostError('KMS_KEY_UNUSABLE', `KMS key ${keyId} returned no public key`);
    return createPublicKey({ key: Buffer.from(PublicKey), format: 'der', type: 'spki' });
  } catch (error) {
    throw mapKmsError(error, keyId, 'GetPublicKey');
  }
}
