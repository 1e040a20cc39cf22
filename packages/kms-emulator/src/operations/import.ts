import { constants, createDecipheriv, createPrivateKey, generateKeyPair, privateDecrypt, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { KmsError, kmsErrors } from '../errors.ts';
import { algorithmHash, specInfo } from '../specs.ts';
import type { EmulatedKey } from '../store.ts';
import { blob, oneOf, type Operation } from './context.ts';
import { publicKeyDer } from './keys.ts';

const generate = promisify(generateKeyPair);
const WRAPPING_ALGORITHMS = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256'];
const WRAPPING_KEY_BITS: Readonly<Record<string, number>> = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 };
/** Import parameters are valid for 24 hours, as in KMS. */
const TOKEN_LIFETIME_MS = 24 * 3600_000;
/** ValidTo may be at most 365 days ahead. */
const MAX_VALIDITY_MS = 365 * 86_400_000;
// RFC 5649 alternative initial value for AES key wrap with padding.
const KWP_IV = Buffer.from('A65959A6', 'hex');

function externalKey(key: EmulatedKey): void {
  if (key.origin !== 'EXTERNAL') throw kmsErrors.unsupported(`${key.arn} was not created with Origin EXTERNAL: its key material cannot be imported`);
  if (key.state === 'PendingDeletion') throw kmsErrors.invalidState(key.arn, 'pending deletion');
}

/** GetParametersForImport: a fresh RSA wrapping key and a single-use import token, valid 24 hours. */
export const getParametersForImport: Operation = async (request, { store, region }) => {
  const key = store.find(request.KeyId, region, 'key');
  externalKey(key);
  const algorithm = oneOf(request, 'WrappingAlgorithm', WRAPPING_ALGORITHMS);
  const bits = WRAPPING_KEY_BITS[oneOf(request, 'WrappingKeySpec', Object.keys(WRAPPING_KEY_BITS))]!;
  // An RSA private key is larger than any OAEP plaintext: KMS requires an RSA_AES algorithm for it.
  if (specInfo(key.spec).kind === 'rsa' && algorithm.startsWith('RSAES_OAEP')) {
    throw kmsErrors.validation('RSA key material must be wrapped with RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256');
  }
  const { privateKey: wrappingKey } = await generate('rsa', { modulusLength: bits });
  const token = randomBytes(64).toString('base64');
  const expires = Date.now() + TOKEN_LIFETIME_MS;
  key.imports.set(token, { wrappingKey, algorithm, expires });
  return { KeyId: key.arn, ImportToken: token, PublicKey: publicKeyDer(wrappingKey).toString('base64'), ParametersValidTo: expires / 1000 };
};

function unwrapMaterial(wrapped: Buffer, wrappingKey: KeyObject, algorithm: string): Buffer {
  const oaep = (data: Buffer) => privateDecrypt({ key: wrappingKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: algorithmHash(algorithm) }, data);
  try {
    if (algorithm.startsWith('RSAES_OAEP')) return oaep(wrapped);
    // RSA_AES_KEY_WRAP: an ephemeral AES-256 key, OAEP-wrapped, followed by the material wrapped with AES-KWP.
    const modulusBytes = wrappingKey.asymmetricKeyDetails!.modulusLength! / 8;
    const decipher = createDecipheriv('id-aes256-wrap-pad', oaep(wrapped.subarray(0, modulusBytes)), KWP_IV);
    return Buffer.concat([decipher.update(wrapped.subarray(modulusBytes)), decipher.final()]);
  } catch {
    throw new KmsError('InvalidCiphertextException', 'The encrypted key material could not be decrypted with the wrapping key');
  }
}

function incorrectMaterial(message: string): KmsError {
  return new KmsError('IncorrectKeyMaterialException', message);
}

/** Installs unwrapped material into the key, checking it against the spec and any earlier import. */
function installMaterial(key: EmulatedKey, material: Buffer): void {
  const info = specInfo(key.spec);
  if (info.kind === 'symmetric') {
    if (material.length !== 32) throw incorrectMaterial('Symmetric key material must be 32 bytes');
    if (key.secret && !key.secret.equals(material)) throw incorrectMaterial('The key material differs from the material previously imported into this key');
    key.secret = material;
    return;
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: material, format: 'der', type: 'pkcs8' });
  } catch {
    throw incorrectMaterial('Asymmetric key material must be a DER-encoded PKCS#8 private key');
  }
  const details = privateKey.asymmetricKeyDetails;
  const matches = info.kind === 'ec' ? privateKey.asymmetricKeyType === 'ec' && details?.namedCurve === info.curve : privateKey.asymmetricKeyType === 'rsa' && details?.modulusLength === info.bits;
  if (!matches) throw incorrectMaterial(`The key material does not match key spec ${key.spec}`);
  if (key.privateKey && !publicKeyDer(key.privateKey).equals(publicKeyDer(privateKey))) throw incorrectMaterial('The key material differs from the material previously imported into this key');
  key.privateKey = privateKey;
}

function expiration(request: Parameters<Operation>[0]): { model: string; validTo?: Date } {
  // The API reference: ExpirationModel defaults to KEY_MATERIAL_EXPIRES, which requires ValidTo;
  // KEY_MATERIAL_DOES_NOT_EXPIRE forbids it. ValidTo is in the future, at most 365 days ahead.
  const model = oneOf(request, 'ExpirationModel', ['KEY_MATERIAL_EXPIRES', 'KEY_MATERIAL_DOES_NOT_EXPIRE'], 'KEY_MATERIAL_EXPIRES');
  if (model === 'KEY_MATERIAL_DOES_NOT_EXPIRE') {
    if (request.ValidTo !== undefined) throw kmsErrors.validation('ValidTo must be omitted when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE');
    return { model };
  }
  const validTo = new Date(Number(request.ValidTo) * 1000);
  if (request.ValidTo === undefined || Number.isNaN(validTo.getTime())) throw kmsErrors.validation('ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES');
  const ahead = validTo.getTime() - Date.now();
  if (ahead <= 0 || ahead > MAX_VALIDITY_MS) throw kmsErrors.validation('ValidTo must be in the future and at most 365 days from now');
  return { model, validTo };
}

/** ImportKeyMaterial: unwraps, checks and installs the material; PendingImport -> Enabled. */
export const importKeyMaterial: Operation = (request, { store, region }) => {
  const key = store.find(request.KeyId, region, 'key');
  externalKey(key);
  const token = typeof request.ImportToken === 'string' ? request.ImportToken : '';
  const parameters = key.imports.get(token);
  if (!parameters) throw new KmsError('InvalidImportTokenException', 'The import token is invalid or belongs to another KMS key');
  key.imports.delete(token); // single use
  if (parameters.expires <= Date.now()) throw new KmsError('ExpiredImportTokenException', 'The import token has expired; call GetParametersForImport again');
  const { model, validTo } = expiration(request);
  installMaterial(key, unwrapMaterial(blob(request, 'EncryptedKeyMaterial'), parameters.wrappingKey, parameters.algorithm));
  key.expirationModel = model;
  key.validTo = validTo;
  if (key.state === 'PendingImport') key.state = 'Enabled';
  return { KeyId: key.arn };
};
