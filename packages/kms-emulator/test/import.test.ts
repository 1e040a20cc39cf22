import { CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, GetParametersForImportCommand, GetPublicKeyCommand, ImportKeyMaterialCommand, SignCommand, type ImportKeyMaterialCommandInput } from '@aws-sdk/client-kms';
import { constants, createCipheriv, createHash, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, verify } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { kmsErrorOf, useEmulator } from './support.ts';

const kms = useEmulator();
afterEach(() => {
  vi.useRealTimers();
});

/** Wraps key material the way the KMS developer guide describes each wrapping algorithm. */
function wrap(material: Buffer, publicKeyDer: Uint8Array, algorithm: string): Buffer {
  const publicKey = createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' });
  const oaep = (data: Buffer) => publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: algorithm.endsWith('SHA_1') ? 'sha1' : 'sha256' }, data);
  if (algorithm.startsWith('RSAES_OAEP')) return oaep(material);
  // RSA_AES_KEY_WRAP: OAEP-wrapped ephemeral AES-256 key, then the material under AES key wrap with padding (RFC 5649).
  const aesKey = randomBytes(32);
  const cipher = createCipheriv('id-aes256-wrap-pad', aesKey, Buffer.from('A65959A6', 'hex'));
  return Buffer.concat([oaep(aesKey), cipher.update(material), cipher.final()]);
}

async function external(KeySpec = 'SYMMETRIC_DEFAULT', KeyUsage = 'ENCRYPT_DECRYPT') {
  const { KeyMetadata } = await kms.client.send(new CreateKeyCommand({ Origin: 'EXTERNAL', KeySpec: KeySpec as never, KeyUsage: KeyUsage as never }));
  return KeyMetadata!;
}

async function parameters(KeyId: string, WrappingAlgorithm = 'RSAES_OAEP_SHA_256', WrappingKeySpec = 'RSA_2048') {
  return kms.client.send(new GetParametersForImportCommand({ KeyId, WrappingAlgorithm: WrappingAlgorithm as never, WrappingKeySpec: WrappingKeySpec as never }));
}

async function importInto(KeyId: string, material: Buffer, algorithm = 'RSAES_OAEP_SHA_256', spec = 'RSA_2048', extra: Partial<ImportKeyMaterialCommandInput> = { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }) {
  const params = await parameters(KeyId, algorithm, spec);
  return kms.client.send(new ImportKeyMaterialCommand({ KeyId, ImportToken: params.ImportToken, EncryptedKeyMaterial: wrap(material, params.PublicKey!, algorithm), ...extra }));
}

describe('bring your own key: GetParametersForImport and ImportKeyMaterial', () => {
  it('a key with Origin EXTERNAL waits in PendingImport, with no material, until an import', async () => {
    const key = await external();
    expect(key).toMatchObject({ Origin: 'EXTERNAL', KeyState: 'PendingImport', Enabled: false });
    expect(key.ExpirationModel).toBeUndefined();
    expect(await kmsErrorOf(kms.client.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') })))).toBe('KMSInvalidStateException');
    const params = await parameters(key.KeyId!);
    expect(params.KeyId).toBe(key.Arn);
    expect(params.ParametersValidTo!.getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(createPublicKey({ key: Buffer.from(params.PublicKey!), format: 'der', type: 'spki' }).asymmetricKeyDetails!.modulusLength).toBe(2048);
  });

  it('symmetric material (32 bytes) imports with every wrapping algorithm and the key then encrypts and decrypts', async () => {
    for (const [algorithm, spec] of [['RSAES_OAEP_SHA_256', 'RSA_2048'], ['RSAES_OAEP_SHA_1', 'RSA_3072'], ['RSA_AES_KEY_WRAP_SHA_256', 'RSA_2048'], ['RSA_AES_KEY_WRAP_SHA_1', 'RSA_2048']]) {
      const key = await external();
      await importInto(key.KeyId!, randomBytes(32), algorithm, spec);
      expect((await kms.client.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata).toMatchObject({ KeyState: 'Enabled', Enabled: true, Origin: 'EXTERNAL', ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
      const { CiphertextBlob } = await kms.client.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('hello') }));
      expect(Buffer.from((await kms.client.send(new DecryptCommand({ CiphertextBlob }))).Plaintext!).toString()).toBe('hello');
    }
  });

  it('an ECC P-256 PKCS#8 key generated locally signs in KMS, verifiable with the local public key', async () => {
    const local = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const key = await external('ECC_NIST_P256', 'SIGN_VERIFY');
    await importInto(key.KeyId!, local.privateKey.export({ type: 'pkcs8', format: 'der' }), 'RSA_AES_KEY_WRAP_SHA_256', 'RSA_3072');
    const { PublicKey } = await kms.client.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
    expect(Buffer.from(PublicKey!).equals(local.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    const digest = createHash('sha256').update('in-house HSM key').digest();
    const { Signature } = await kms.client.send(new SignCommand({ KeyId: key.KeyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }));
    expect(verify('sha256', Buffer.from('in-house HSM key'), local.publicKey, Buffer.from(Signature!))).toBe(true);
  });

  it('an RSA private key imports only with an RSA_AES wrapping algorithm, then decrypts what the local public key encrypted', async () => {
    const local = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = await external('RSA_2048', 'ENCRYPT_DECRYPT');
    // API reference: "To import an RSA private key, you must use an RSA_AES wrapping algorithm."
    expect(await kmsErrorOf(parameters(key.KeyId!, 'RSAES_OAEP_SHA_256'))).toBe('ValidationException');
    await importInto(key.KeyId!, local.privateKey.export({ type: 'pkcs8', format: 'der' }), 'RSA_AES_KEY_WRAP_SHA_1');
    const wrapped = publicEncrypt({ key: local.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from('data key'));
    const { Plaintext } = await kms.client.send(new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: wrapped, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
    expect(Buffer.from(Plaintext!).toString()).toBe('data key');
    const { CiphertextBlob } = await kms.client.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('back'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' }));
    expect(privateDecrypt({ key: local.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, CiphertextBlob!).toString()).toBe('back');
  });

  it('import tokens are single-use and bound to their key (InvalidImportTokenException)', async () => {
    const key = await external();
    const params = await parameters(key.KeyId!);
    const material = wrap(randomBytes(32), params.PublicKey!, 'RSAES_OAEP_SHA_256');
    const input = { KeyId: key.KeyId, ImportToken: params.ImportToken, EncryptedKeyMaterial: material, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' } as const;
    const other = await external();
    expect(await kmsErrorOf(kms.client.send(new ImportKeyMaterialCommand({ ...input, KeyId: other.KeyId })))).toBe('InvalidImportTokenException');
    await kms.client.send(new ImportKeyMaterialCommand(input));
    expect(await kmsErrorOf(kms.client.send(new ImportKeyMaterialCommand(input)))).toBe('InvalidImportTokenException');
    expect(await kmsErrorOf(kms.client.send(new ImportKeyMaterialCommand({ ...input, ImportToken: randomBytes(64) })))).toBe('InvalidImportTokenException');
  });

  it('import tokens expire after 24 hours (ExpiredImportTokenException)', async () => {
    const key = await external();
    const params = await parameters(key.KeyId!);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 24 * 3600_000 + 1000);
    expect(await kmsErrorOf(kms.client.send(new ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken: params.ImportToken, EncryptedKeyMaterial: wrap(randomBytes(32), params.PublicKey!, 'RSAES_OAEP_SHA_256'), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' })))).toBe('ExpiredImportTokenException');
  });

  it('rejects material of the wrong size or curve (IncorrectKeyMaterialException) and undecryptable material (InvalidCiphertextException)', async () => {
    const key = await external();
    expect(await kmsErrorOf(importInto(key.KeyId!, randomBytes(16)))).toBe('IncorrectKeyMaterialException');
    const params = await parameters(key.KeyId!);
    expect(await kmsErrorOf(kms.client.send(new ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken: params.ImportToken, EncryptedKeyMaterial: randomBytes(256), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' })))).toBe('InvalidCiphertextException');
    const p384 = await external('ECC_NIST_P384', 'SIGN_VERIFY');
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'der' });
    expect(await kmsErrorOf(importInto(p384.KeyId!, p256, 'RSA_AES_KEY_WRAP_SHA_256'))).toBe('IncorrectKeyMaterialException');
    expect(await kmsErrorOf(importInto(p384.KeyId!, randomBytes(100), 'RSA_AES_KEY_WRAP_SHA_256'))).toBe('IncorrectKeyMaterialException');
  });

  it('reimport accepts only the same material (IncorrectKeyMaterialException otherwise)', async () => {
    const material = randomBytes(32);
    const key = await external();
    await importInto(key.KeyId!, material);
    await importInto(key.KeyId!, material);
    expect(await kmsErrorOf(importInto(key.KeyId!, randomBytes(32)))).toBe('IncorrectKeyMaterialException');
    const ec = await external('ECC_NIST_P256', 'SIGN_VERIFY');
    const first = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'der' });
    await importInto(ec.KeyId!, first, 'RSAES_OAEP_SHA_256', 'RSA_3072');
    const second = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'der' });
    expect(await kmsErrorOf(importInto(ec.KeyId!, second, 'RSAES_OAEP_SHA_256', 'RSA_3072'))).toBe('IncorrectKeyMaterialException');
  });

  it('ExpirationModel defaults to KEY_MATERIAL_EXPIRES, which needs ValidTo; expired material sends the key back to PendingImport', async () => {
    const key = await external();
    const material = randomBytes(32);
    expect(await kmsErrorOf(importInto(key.KeyId!, material, undefined, undefined, {}))).toBe('ValidationException');
    const ValidTo = new Date(Date.now() + 3600_000);
    expect(await kmsErrorOf(importInto(key.KeyId!, material, undefined, undefined, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ValidTo }))).toBe('ValidationException');
    expect(await kmsErrorOf(importInto(key.KeyId!, material, undefined, undefined, { ValidTo: new Date(Date.now() - 1000) }))).toBe('ValidationException');
    await importInto(key.KeyId!, material, undefined, undefined, { ValidTo });
    const described = (await kms.client.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!;
    expect(described).toMatchObject({ KeyState: 'Enabled', ExpirationModel: 'KEY_MATERIAL_EXPIRES' });
    expect(Math.abs(described.ValidTo!.getTime() - ValidTo.getTime())).toBeLessThan(1000);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(ValidTo.getTime() + 1000);
    expect((await kms.client.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata).toMatchObject({ KeyState: 'PendingImport', Enabled: false });
    expect(await kmsErrorOf(kms.client.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') })))).toBe('KMSInvalidStateException');
    await importInto(key.KeyId!, material);
    expect((await kms.client.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!.KeyState).toBe('Enabled');
  });

  it('only keys with Origin EXTERNAL, named by key id or ARN, take imports', async () => {
    const normal = await kms.key('SYMMETRIC_DEFAULT');
    expect(await kmsErrorOf(parameters(normal.id))).toBe('UnsupportedOperationException');
    const key = await external();
    expect(await kmsErrorOf(parameters(key.KeyId!, 'RSAES_PKCS1_V1_5'))).toBe('ValidationException');
    expect(await kmsErrorOf(parameters(key.KeyId!, 'RSAES_OAEP_SHA_256', 'RSA_1024'))).toBe('ValidationException');
    expect((await parameters(key.Arn!)).KeyId).toBe(key.Arn);
  });
});
