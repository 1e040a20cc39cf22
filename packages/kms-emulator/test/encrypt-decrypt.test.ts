import { DecryptCommand, DisableKeyCommand, EnableKeyCommand, EncryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { constants, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { kmsErrorOf, useEmulator } from './support.ts';

const kms = useEmulator();

describe('Encrypt and Decrypt with RSA keys', () => {
  it('round-trips RSAES_OAEP_SHA_1 and RSAES_OAEP_SHA_256; a data key wrapped locally with the public key decrypts', async () => {
    const key = await kms.key('RSA_4096', 'ENCRYPT_DECRYPT');
    for (const EncryptionAlgorithm of ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const) {
      const plaintext = randomBytes(32);
      const encrypted = await kms.client.send(new EncryptCommand({ KeyId: key.id, Plaintext: plaintext, EncryptionAlgorithm }));
      expect(encrypted).toMatchObject({ KeyId: key.arn, EncryptionAlgorithm });
      expect(encrypted.CiphertextBlob!.length).toBe(512);
      const out = await kms.client.send(new DecryptCommand({ KeyId: key.id, CiphertextBlob: encrypted.CiphertextBlob, EncryptionAlgorithm }));
      expect(Buffer.from(out.Plaintext!).equals(plaintext)).toBe(true);
      expect(out).toMatchObject({ KeyId: key.arn, EncryptionAlgorithm });
    }
    const dataKey = randomBytes(32);
    const wrapped = publicEncrypt({ key: key.publicKey!, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, dataKey);
    const { Plaintext } = await kms.client.send(new DecryptCommand({ KeyId: key.arn, CiphertextBlob: wrapped, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
    expect(Buffer.from(Plaintext!).equals(dataKey)).toBe(true);
  });

  it('enforces the plaintext limits of the API reference (RSA_2048: 214 bytes with SHA-1, 190 with SHA-256; RSA_4096: 470 and 446)', async () => {
    for (const [spec, sha1, sha256] of [['RSA_2048', 214, 190], ['RSA_4096', 470, 446]] as const) {
      const key = await kms.key(spec, 'ENCRYPT_DECRYPT');
      for (const [EncryptionAlgorithm, max] of [['RSAES_OAEP_SHA_1', sha1], ['RSAES_OAEP_SHA_256', sha256]] as const) {
        const encrypt = (size: number) => kms.client.send(new EncryptCommand({ KeyId: key.id, Plaintext: randomBytes(size), EncryptionAlgorithm }));
        expect((await encrypt(max)).CiphertextBlob).toBeInstanceOf(Uint8Array);
        expect(await kmsErrorOf(encrypt(max + 1))).toBe('ValidationException');
      }
    }
  });

  it('corrupt ciphertext and ciphertext for another key fail with InvalidCiphertextException; wrong algorithms with InvalidKeyUsageException', async () => {
    const key = await kms.key('RSA_2048', 'ENCRYPT_DECRYPT');
    const { CiphertextBlob } = await kms.client.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
    const decrypt = (input: object) => kms.client.send(new DecryptCommand({ KeyId: key.id, CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256', ...input } as never));
    expect(await kmsErrorOf(decrypt({ CiphertextBlob: randomBytes(256) }))).toBe('InvalidCiphertextException');
    expect(await kmsErrorOf(decrypt({ EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' }))).toBe('InvalidCiphertextException');
    const other = await kms.key('RSA_2048', 'ENCRYPT_DECRYPT');
    expect(await kmsErrorOf(decrypt({ KeyId: other.id }))).toBe('InvalidCiphertextException');
    // InvalidKeyUsageException: "the encryption algorithm ... is incompatible with the type of key material in the KMS key".
    expect(await kmsErrorOf(decrypt({ EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }))).toBe('InvalidKeyUsageException');
    expect(await kmsErrorOf(kms.client.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('x') })))).toBe('InvalidKeyUsageException');
    const signing = await kms.key('ECC_NIST_P256', 'SIGN_VERIFY');
    expect(await kmsErrorOf(kms.client.send(new EncryptCommand({ KeyId: signing.id, Plaintext: Buffer.from('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })))).toBe('InvalidKeyUsageException');
    // An asymmetric Decrypt must name its key.
    expect(await kmsErrorOf(kms.client.send(new DecryptCommand({ CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })))).toBe('ValidationException');
  });
});

describe('Encrypt, Decrypt and GenerateDataKey with symmetric keys', () => {
  it('the key id travels in the ciphertext blob and the encryption context is bound as AAD', async () => {
    const key = await kms.key('SYMMETRIC_DEFAULT');
    const context = { tenant: 'acme', purpose: 'test' };
    const { CiphertextBlob, EncryptionAlgorithm } = await kms.client.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('secret'), EncryptionContext: context }));
    expect(EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
    const out = await kms.client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { purpose: 'test', tenant: 'acme' } }));
    expect(out).toMatchObject({ KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    expect(Buffer.from(out.Plaintext!).toString()).toBe('secret');
    expect(await kmsErrorOf(kms.client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { tenant: 'other', purpose: 'test' } })))).toBe('InvalidCiphertextException');
    expect(await kmsErrorOf(kms.client.send(new DecryptCommand({ CiphertextBlob })))).toBe('InvalidCiphertextException');
    const tampered = Buffer.from(CiphertextBlob!);
    tampered[tampered.length - 20]! ^= 1;
    expect(await kmsErrorOf(kms.client.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: context })))).toBe('InvalidCiphertextException');
    expect(await kmsErrorOf(kms.client.send(new DecryptCommand({ CiphertextBlob: randomBytes(80) })))).toBe('InvalidCiphertextException');
    // IncorrectKeyException: "The KeyId in a Decrypt request ... must identify the same KMS key that was used to encrypt the ciphertext."
    const other = await kms.key('SYMMETRIC_DEFAULT');
    expect(await kmsErrorOf(kms.client.send(new DecryptCommand({ CiphertextBlob, KeyId: other.id, EncryptionContext: context })))).toBe('IncorrectKeyException');
    expect((await kms.client.send(new DecryptCommand({ CiphertextBlob, KeyId: key.arn, EncryptionContext: context }))).KeyId).toBe(key.arn);
  });

  it('a disabled key cannot decrypt (DisabledException); plaintext is limited to 4096 bytes', async () => {
    const key = await kms.key('SYMMETRIC_DEFAULT');
    const { CiphertextBlob } = await kms.client.send(new EncryptCommand({ KeyId: key.id, Plaintext: randomBytes(4096) }));
    expect(await kmsErrorOf(kms.client.send(new EncryptCommand({ KeyId: key.id, Plaintext: randomBytes(4097) })))).toBe('ValidationException');
    await kms.client.send(new DisableKeyCommand({ KeyId: key.id }));
    expect(await kmsErrorOf(kms.client.send(new DecryptCommand({ CiphertextBlob })))).toBe('DisabledException');
    await kms.client.send(new EnableKeyCommand({ KeyId: key.id }));
    expect((await kms.client.send(new DecryptCommand({ CiphertextBlob }))).Plaintext!.length).toBe(4096);
  });

  it('GenerateDataKey returns the plaintext key and its ciphertext, by KeySpec or NumberOfBytes (exactly one of them)', async () => {
    const key = await kms.key('SYMMETRIC_DEFAULT');
    for (const [input, size] of [[{ KeySpec: 'AES_256' }, 32], [{ KeySpec: 'AES_128' }, 16], [{ NumberOfBytes: 64 }, 64]] as const) {
      const generated = await kms.client.send(new GenerateDataKeyCommand({ KeyId: key.id, EncryptionContext: { a: 'b' }, ...input }));
      expect(generated.KeyId).toBe(key.arn);
      expect(generated.Plaintext!.length).toBe(size);
      const again = await kms.client.send(new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: { a: 'b' } }));
      expect(Buffer.from(again.Plaintext!).equals(Buffer.from(generated.Plaintext!))).toBe(true);
    }
    expect(await kmsErrorOf(kms.client.send(new GenerateDataKeyCommand({ KeyId: key.id })))).toBe('ValidationException');
    expect(await kmsErrorOf(kms.client.send(new GenerateDataKeyCommand({ KeyId: key.id, KeySpec: 'AES_256', NumberOfBytes: 32 })))).toBe('ValidationException');
    expect(await kmsErrorOf(kms.client.send(new GenerateDataKeyCommand({ KeyId: key.id, NumberOfBytes: 1025 })))).toBe('ValidationException');
    const rsa = await kms.key('RSA_2048', 'ENCRYPT_DECRYPT');
    expect(await kmsErrorOf(kms.client.send(new GenerateDataKeyCommand({ KeyId: rsa.id, KeySpec: 'AES_256' })))).toBe('InvalidKeyUsageException');
  });
});
