import { constants, createCipheriv, createPublicKey, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import { DescribeKeyCommand, GetParametersForImportCommand, ImportKeyMaterialCommand, type KMSClient, type KeyMetadata } from '@aws-sdk/client-kms';
import { SealpostError } from '@sealpost/envelope';
import { mapKmsError } from './errors.ts';

/** How key material is wrapped for import, as AWS names it. */
export type ImportWrappingAlgorithm = 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256' | 'RSA_AES_KEY_WRAP_SHA_1';

/** Options for {@link importKeyMaterial}. */
export interface ImportKeyMaterialOptions {
  readonly client: KMSClient;
  /** A KMS key created with Origin EXTERNAL. */
  readonly keyId: string;
  /**
   * The material: 32 bytes for a symmetric key, or a DER PKCS#8 private key for an asymmetric
   * key (for example an ECC signing key generated in an in-house HSM).
   */
  readonly material?: Uint8Array;
  /** Generate the material locally instead (for the key's spec). */
  readonly generate?: boolean;
  /**
   * Called with generated material (32 raw bytes, or a DER PKCS#8 private key) and the key spec
   * before anything is imported, to keep a copy: material that expires (`validTo`) or is deleted
   * can only be imported again from a copy, or the key stays unusable for good. Nothing is
   * imported if it rejects. Without it, generated material exists only in KMS.
   */
  readonly onGenerated?: (material: Uint8Array, keySpec: string) => Promise<void>;
  /** @defaultValue 'RSAES_OAEP_SHA_256' for symmetric keys, 'RSA_AES_KEY_WRAP_SHA_256' for asymmetric */
  readonly wrappingAlgorithm?: ImportWrappingAlgorithm;
  /** @defaultValue 'RSA_4096' */
  readonly wrappingKeySpec?: 'RSA_2048' | 'RSA_3072' | 'RSA_4096';
  /** When the imported material expires; it never expires when unset. */
  readonly validTo?: Date;
}

const CURVES: Record<string, string> = { ECC_NIST_P256: 'prime256v1', ECC_NIST_P384: 'secp384r1', ECC_NIST_P521: 'secp521r1', ECC_SECG_P256K1: 'secp256k1' };

function generateMaterial(spec: string): Buffer {
  if (spec === 'SYMMETRIC_DEFAULT') return randomBytes(32);
  const curve = CURVES[spec];
  if (curve) return generateKeyPairSync('ec', { namedCurve: curve }).privateKey.export({ type: 'pkcs8', format: 'der' });
  const bits = /^RSA_(\d+)$/.exec(spec)?.[1];
  if (bits) return generateKeyPairSync('rsa', { modulusLength: Number(bits) }).privateKey.export({ type: 'pkcs8', format: 'der' });
  throw new SealpostError('CONFIG_INVALID', `cannot generate key material for key spec ${spec}`);
}

/**
 * Wraps key material with the import public key as AWS specifies: RSAES_OAEP_* encrypts the
 * material directly; RSA_AES_KEY_WRAP_* wraps it with AES key wrap with padding (RFC 5649)
 * under a fresh AES-256 key and appends that to the OAEP-encrypted AES key.
 */
export function wrapKeyMaterial(material: Uint8Array, importPublicKeyDer: Uint8Array, algorithm: ImportWrappingAlgorithm): Buffer {
  const publicKey = createPublicKey({ key: Buffer.from(importPublicKeyDer), format: 'der', type: 'spki' });
  const oaep = (data: Uint8Array) => publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: algorithm.endsWith('SHA_1') ? 'sha1' : 'sha256' }, data);
  if (algorithm.startsWith('RSAES_OAEP')) return oaep(material);
  const aesKey = randomBytes(32);
  const cipher = createCipheriv('id-aes256-wrap-pad', aesKey, Buffer.from('A65959A6', 'hex'));
  const wrapped = Buffer.concat([oaep(aesKey), cipher.update(material), cipher.final()]);
  aesKey.fill(0);
  return wrapped;
}

const OAEP_HASH_BYTES: Record<ImportWrappingAlgorithm, number> = { RSAES_OAEP_SHA_1: 20, RSAES_OAEP_SHA_256: 32, RSA_AES_KEY_WRAP_SHA_1: 20, RSA_AES_KEY_WRAP_SHA_256: 32 };

/**
 * Refuses material the wrapping algorithm cannot carry, before an import token is spent on it:
 * RSAES_OAEP_* encrypts the material directly, so it holds at most (modulus bytes - 2 x hash
 * bytes - 2) bytes, and KMS never accepts it for RSA key material.
 */
function checkWrappable(materialBytes: number, keySpec: string, algorithm: ImportWrappingAlgorithm, wrappingKeySpec: string): void {
  if (!algorithm.startsWith('RSAES_OAEP')) return;
  const instead = 'use --wrapping-algorithm RSA_AES_KEY_WRAP_SHA_256';
  if (keySpec.startsWith('RSA_')) throw new SealpostError('CONFIG_INVALID', `${keySpec} key material cannot be wrapped with ${algorithm} (KMS requires RSA_AES_KEY_WRAP_* for RSA private keys); ${instead}`);
  const capacity = Number(/^RSA_(\d+)$/.exec(wrappingKeySpec)?.[1] ?? 0) / 8 - 2 * OAEP_HASH_BYTES[algorithm] - 2;
  if (materialBytes > capacity) {
    throw new SealpostError('CONFIG_INVALID', `${materialBytes} bytes of key material do not fit ${algorithm} under an ${wrappingKeySpec} wrapping key (at most ${capacity}); ${instead}`);
  }
}

/**
 * Bring your own key: GetParametersForImport, wrap the material locally with the returned
 * public key, ImportKeyMaterial with the import token, then DescribeKey to confirm the key is
 * Enabled. Returns the key's metadata.
 */
export async function importKeyMaterial(options: ImportKeyMaterialOptions): Promise<KeyMetadata> {
  const { client, keyId } = options;
  if (!options.material === !options.generate) throw new SealpostError('CONFIG_INVALID', 'give either material or generate: true');
  if (options.onGenerated && !options.generate) throw new SealpostError('CONFIG_INVALID', 'onGenerated needs generate: true');
  let metadata: KeyMetadata | undefined;
  try {
    metadata = (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
  } catch (error) {
    throw mapKmsError(error, keyId, 'DescribeKey');
  }
  if (metadata?.Origin !== 'EXTERNAL') throw new SealpostError('KMS_KEY_UNUSABLE', `KMS key ${keyId} was not created with Origin EXTERNAL; key material cannot be imported into it`);
  // GetParametersForImport and ImportKeyMaterial take a key id or key ARN only, never an alias.
  const keyArn = metadata.Arn ?? metadata.KeyId!;
  const spec = metadata.KeySpec ?? 'SYMMETRIC_DEFAULT';
  const algorithm = options.wrappingAlgorithm ?? (spec === 'SYMMETRIC_DEFAULT' ? 'RSAES_OAEP_SHA_256' : 'RSA_AES_KEY_WRAP_SHA_256');
  const wrappingKeySpec = options.wrappingKeySpec ?? 'RSA_4096';
  const material = options.material ? Buffer.from(options.material) : generateMaterial(spec);
  try {
    checkWrappable(material.length, spec, algorithm, wrappingKeySpec);
    if (options.generate) await options.onGenerated?.(material, spec);
    let parameters;
    try {
      parameters = await client.send(new GetParametersForImportCommand({ KeyId: keyArn, WrappingAlgorithm: algorithm, WrappingKeySpec: wrappingKeySpec }));
    } catch (error) {
      throw mapKmsError(error, keyId, 'GetParametersForImport');
    }
    let wrapped: Buffer;
    try {
      wrapped = wrapKeyMaterial(material, parameters.PublicKey!, algorithm);
    } catch (cause) {
      // A local failure (the material does not fit the algorithm): retrying cannot help.
      throw new SealpostError('CONFIG_INVALID', `cannot wrap the key material with ${algorithm}: ${(cause as Error).message}`, { cause });
    }
    try {
      await client.send(
        new ImportKeyMaterialCommand({
          KeyId: keyArn,
          ImportToken: parameters.ImportToken,
          EncryptedKeyMaterial: wrapped,
          ...(options.validTo ? { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: options.validTo } : { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }),
        }),
      );
      const after = (await client.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata!;
      if (after.KeyState !== 'Enabled') throw new SealpostError('KMS_KEY_UNUSABLE', `KMS key ${keyId} is ${after.KeyState} after the import`);
      return after;
    } catch (error) {
      throw mapKmsError(error, keyId, 'ImportKeyMaterial');
    }
  } finally {
    material.fill(0);
  }
}
