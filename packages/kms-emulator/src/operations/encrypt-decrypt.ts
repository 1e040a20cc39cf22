import { constants, createCipheriv, createDecipheriv, createPublicKey, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { KmsError, kmsErrors } from '../errors.ts';
import { algorithmHash, oaepMaxPlaintext, specInfo } from '../specs.ts';
import type { EmulatedKey } from '../store.ts';
import { blob, oneOf, type KmsRequest, type Operation, type OperationContext } from './context.ts';

const ALGORITHMS = ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'];
/** KMS encrypts at most 4096 bytes with a symmetric key. */
const MAX_SYMMETRIC_PLAINTEXT = 4096;

// Symmetric ciphertext blob: version byte | 36-byte key id | 12-byte IV | ciphertext | 16-byte tag.
// The key id travels in the blob (Decrypt needs no KeyId), as in KMS; the header is authenticated.
const BLOB_VERSION = 1;
const HEADER = 1 + 36;
const IV = 12;
const TAG = 16;

function contextAad(context: unknown): Buffer {
  if (context === undefined) return Buffer.alloc(0);
  if (typeof context !== 'object' || context === null || Object.values(context).some((v) => typeof v !== 'string')) {
    throw kmsErrors.validation('EncryptionContext must be a map of strings to strings');
  }
  // Sorted so the same pairs in any order authenticate, as KMS treats the context as a set.
  const entries = Object.entries(context as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(entries));
}

function symmetricEncrypt(key: EmulatedKey, plaintext: Buffer, context: unknown): Buffer {
  const header = Buffer.concat([Buffer.of(BLOB_VERSION), Buffer.from(key.id, 'latin1')]);
  const iv = randomBytes(IV);
  const cipher = createCipheriv('aes-256-gcm', key.secret!, iv);
  cipher.setAAD(Buffer.concat([header, contextAad(context)]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, body, cipher.getAuthTag()]);
}

function requireEncryptionKey(key: EmulatedKey, operation: string): void {
  if (key.usage !== 'ENCRYPT_DECRYPT') throw kmsErrors.invalidUsage(`${key.arn} key usage is ${key.usage} which is not valid for ${operation}.`);
}

/** The algorithm must suit the key: SYMMETRIC_DEFAULT for symmetric keys, RSAES_OAEP_* for RSA keys. */
function requireAlgorithm(key: EmulatedKey, algorithm: string): void {
  const symmetric = specInfo(key.spec).kind === 'symmetric';
  if (symmetric !== (algorithm === 'SYMMETRIC_DEFAULT')) throw kmsErrors.invalidUsage(`Algorithm ${algorithm} is incompatible with key spec ${key.spec}.`);
}

/** Encrypt: RSAES-OAEP for RSA keys, AES-256-GCM blobs for symmetric keys. */
export const encryptOperation: Operation = (request, { store, region }) => {
  const key = store.usable(request.KeyId, region);
  requireEncryptionKey(key, 'Encrypt');
  const algorithm = oneOf(request, 'EncryptionAlgorithm', ALGORITHMS, 'SYMMETRIC_DEFAULT');
  requireAlgorithm(key, algorithm);
  const plaintext = blob(request, 'Plaintext');
  if (algorithm === 'SYMMETRIC_DEFAULT') {
    if (plaintext.length > MAX_SYMMETRIC_PLAINTEXT) throw kmsErrors.validation(`Plaintext must be at most ${MAX_SYMMETRIC_PLAINTEXT} bytes`);
    return { KeyId: key.arn, CiphertextBlob: symmetricEncrypt(key, plaintext, request.EncryptionContext).toString('base64'), EncryptionAlgorithm: algorithm };
  }
  const max = oaepMaxPlaintext(specInfo(key.spec).bits!, algorithm);
  if (plaintext.length > max) throw kmsErrors.validation(`Plaintext must be at most ${max} bytes for ${key.spec} with ${algorithm}`);
  const ciphertext = publicEncrypt({ key: createPublicKey(key.privateKey!), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: algorithmHash(algorithm) }, plaintext);
  return { KeyId: key.arn, CiphertextBlob: ciphertext.toString('base64'), EncryptionAlgorithm: algorithm };
};

function symmetricDecrypt(request: KmsRequest, { store, region }: OperationContext, ciphertext: Buffer, named: EmulatedKey | undefined) {
  if (ciphertext.length < HEADER + IV + TAG || ciphertext[0] !== BLOB_VERSION) throw kmsErrors.invalidCiphertext();
  const embedded = ciphertext.subarray(1, HEADER).toString('latin1');
  if (named && named.id !== embedded) throw new KmsError('IncorrectKeyException', 'The key ID in the request does not identify a KMS key that can perform this operation.');
  let key: EmulatedKey;
  try {
    key = store.usable(embedded, region);
  } catch (error) {
    if (error instanceof KmsError && (error.type === 'NotFoundException' || error.type === 'InvalidArnException')) throw kmsErrors.invalidCiphertext();
    throw error;
  }
  const decipher = createDecipheriv('aes-256-gcm', key.secret!, ciphertext.subarray(HEADER, HEADER + IV));
  decipher.setAAD(Buffer.concat([ciphertext.subarray(0, HEADER), contextAad(request.EncryptionContext)]));
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG));
  try {
    const plaintext = Buffer.concat([decipher.update(ciphertext.subarray(HEADER + IV, ciphertext.length - TAG)), decipher.final()]);
    return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  } catch {
    throw kmsErrors.invalidCiphertext();
  }
}

/** Decrypt: symmetric blobs name their key; RSA ciphertexts need KeyId and EncryptionAlgorithm. */
export const decryptOperation: Operation = (request, context) => {
  const algorithm = oneOf(request, 'EncryptionAlgorithm', ALGORITHMS, 'SYMMETRIC_DEFAULT');
  const named = request.KeyId === undefined ? undefined : context.store.usable(request.KeyId, context.region);
  if (named) {
    requireEncryptionKey(named, 'Decrypt');
    requireAlgorithm(named, algorithm);
  }
  const ciphertext = blob(request, 'CiphertextBlob');
  if (algorithm === 'SYMMETRIC_DEFAULT') return symmetricDecrypt(request, context, ciphertext, named);
  if (!named) throw kmsErrors.validation('KeyId is required to decrypt with an asymmetric KMS key');
  try {
    const plaintext = privateDecrypt({ key: named.privateKey!, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: algorithmHash(algorithm) }, ciphertext);
    return { KeyId: named.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: algorithm };
  } catch {
    // Wrong key and corrupt ciphertext look the same to RSA-OAEP: KMS answers InvalidCiphertextException.
    throw kmsErrors.invalidCiphertext();
  }
};

/** GenerateDataKey: a random data key, in plaintext and encrypted under a symmetric key. */
export const generateDataKey: Operation = (request, { store, region }) => {
  const key = store.usable(request.KeyId, region);
  requireEncryptionKey(key, 'GenerateDataKey');
  if (specInfo(key.spec).kind !== 'symmetric') throw kmsErrors.invalidUsage(`${key.arn} is not a symmetric encryption key; GenerateDataKey needs one`);
  const { KeySpec, NumberOfBytes } = request;
  if ((KeySpec === undefined) === (NumberOfBytes === undefined)) throw kmsErrors.validation('Specify either KeySpec (AES_128, AES_256) or NumberOfBytes (1-1024), not both');
  const bytes = NumberOfBytes !== undefined ? Number(NumberOfBytes) : oneOf(request, 'KeySpec', ['AES_128', 'AES_256']) === 'AES_128' ? 16 : 32;
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1024) throw kmsErrors.validation('NumberOfBytes must be between 1 and 1024');
  const plaintext = randomBytes(bytes);
  return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), CiphertextBlob: symmetricEncrypt(key, plaintext, request.EncryptionContext).toString('base64') };
};
