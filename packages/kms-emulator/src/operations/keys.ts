import { createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { kmsErrors } from '../errors.ts';
import { encryptionAlgorithms, KEY_SPECS, signingAlgorithms, specInfo } from '../specs.ts';
import type { EmulatedKey } from '../store.ts';
import { oneOf, type Operation } from './context.ts';

const generate = promisify(generateKeyPair);
const seconds = (date: Date) => date.getTime() / 1000;

/** KeyMetadata as DescribeKey and CreateKey return it. */
export function metadata(key: EmulatedKey) {
  return {
    AWSAccountId: key.arn.split(':')[4],
    KeyId: key.id,
    Arn: key.arn,
    CreationDate: seconds(key.created),
    Enabled: key.state === 'Enabled',
    Description: key.description,
    KeyUsage: key.usage,
    KeyState: key.state,
    Origin: key.origin,
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: key.spec,
    KeySpec: key.spec,
    MultiRegion: false,
    ...(key.usage === 'ENCRYPT_DECRYPT' ? { EncryptionAlgorithms: encryptionAlgorithms(key.spec) } : { SigningAlgorithms: signingAlgorithms(key.spec) }),
    ...(key.deletionDate ? { DeletionDate: seconds(key.deletionDate) } : {}),
    ...(key.expirationModel ? { ExpirationModel: key.expirationModel } : {}),
    ...(key.validTo ? { ValidTo: seconds(key.validTo) } : {}),
  };
}

async function generateMaterial(key: EmulatedKey): Promise<void> {
  const info = specInfo(key.spec);
  if (info.kind === 'symmetric') key.secret = randomBytes(32);
  else if (info.kind === 'ec') key.privateKey = (await generate('ec', { namedCurve: info.curve! })).privateKey;
  else key.privateKey = (await generate('rsa', { modulusLength: info.bits! })).privateKey;
}

/** CreateKey: generates the material (Origin AWS_KMS) or leaves the key PendingImport (EXTERNAL). */
export const createKey: Operation = async (request, { store, region }) => {
  const spec = oneOf(request, request.KeySpec === undefined ? 'CustomerMasterKeySpec' : 'KeySpec', Object.keys(KEY_SPECS), 'SYMMETRIC_DEFAULT');
  const info = specInfo(spec);
  const usage = oneOf(request, 'KeyUsage', ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'], 'ENCRYPT_DECRYPT');
  if (!info.usages.includes(usage)) throw kmsErrors.validation(`KeyUsage ${usage} is not compatible with KeySpec ${spec}`);
  const origin = oneOf(request, 'Origin', ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'], 'AWS_KMS');
  if (origin !== 'AWS_KMS' && origin !== 'EXTERNAL') throw kmsErrors.unsupported(`Origin ${origin} is not supported by this emulator`);
  const description = typeof request.Description === 'string' ? request.Description : '';
  const key = store.create(region, spec, usage, origin, description);
  if (origin === 'AWS_KMS') await generateMaterial(key);
  return { KeyMetadata: metadata(key) };
};

/** DescribeKey: the KeyMetadata of a key, by key id, key ARN, alias name or alias ARN. */
export const describeKey: Operation = (request, { store, region }) => ({ KeyMetadata: metadata(store.find(request.KeyId, region)) });

/** EnableKey: Disabled -> Enabled (key id or key ARN only). */
export const enableKey: Operation = (request, { store, region }) => {
  const key = store.find(request.KeyId, region, 'key');
  if (key.state === 'PendingImport' || key.state === 'PendingDeletion') throw kmsErrors.invalidState(key.arn, key.state);
  key.state = 'Enabled';
  return {};
};

/** DisableKey: Enabled -> Disabled (key id or key ARN only). */
export const disableKey: Operation = (request, { store, region }) => {
  const key = store.find(request.KeyId, region, 'key');
  if (key.state === 'PendingImport' || key.state === 'PendingDeletion') throw kmsErrors.invalidState(key.arn, key.state);
  key.state = 'Disabled';
  return {};
};

/** ScheduleKeyDeletion: PendingDeletion after a 7 to 30 day window (default 30). */
export const scheduleKeyDeletion: Operation = (request, { store, region }) => {
  const key = store.find(request.KeyId, region, 'key');
  const days = request.PendingWindowInDays === undefined ? 30 : Number(request.PendingWindowInDays);
  if (!Number.isInteger(days) || days < 7 || days > 30) throw kmsErrors.validation('PendingWindowInDays must be between 7 and 30');
  if (key.state === 'PendingDeletion') throw kmsErrors.invalidState(key.arn, 'pending deletion');
  key.state = 'PendingDeletion';
  key.deletionDate = new Date(Date.now() + days * 86_400_000);
  return { KeyId: key.arn, DeletionDate: seconds(key.deletionDate), KeyState: 'PendingDeletion', PendingWindowInDays: days };
};

/** The DER SubjectPublicKeyInfo of an asymmetric key. */
export function publicKeyDer(privateKey: KeyObject): Buffer {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
}

/** GetPublicKey: the DER SubjectPublicKeyInfo of an enabled asymmetric key. */
export const getPublicKey: Operation = (request, { store, region }) => {
  const key = store.usable(request.KeyId, region);
  if (!key.privateKey) throw kmsErrors.unsupported(`${key.arn} is a symmetric key: it has no public key`);
  return {
    KeyId: key.arn,
    PublicKey: publicKeyDer(key.privateKey).toString('base64'),
    KeySpec: key.spec,
    CustomerMasterKeySpec: key.spec,
    KeyUsage: key.usage,
    ...(key.usage === 'SIGN_VERIFY' ? { SigningAlgorithms: signingAlgorithms(key.spec) } : { EncryptionAlgorithms: encryptionAlgorithms(key.spec) }),
  };
};
