import { SignCommand, VerifyCommand } from '@aws-sdk/client-kms';
import { execFile } from 'node:child_process';
import { constants, createHash, randomBytes, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { kmsErrorOf, useEmulator } from './support.ts';

const run = promisify(execFile);
const kms = useEmulator();

async function opensslVerify(publicKeyPem: string | Buffer, hash: string, data: Buffer, signature: Uint8Array): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kms-emulator-'));
  try {
    await writeFile(join(dir, 'pub.pem'), publicKeyPem);
    await writeFile(join(dir, 'sig.der'), signature);
    await writeFile(join(dir, 'data'), data);
    const { stdout } = await run('openssl', ['dgst', `-${hash}`, '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.der'), join(dir, 'data')]);
    return stdout.trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('Sign and Verify with ECC keys', () => {
  for (const [spec, algorithm, hash] of [
    ['ECC_NIST_P256', 'ECDSA_SHA_256', 'sha256'],
    ['ECC_NIST_P384', 'ECDSA_SHA_384', 'sha384'],
    ['ECC_NIST_P521', 'ECDSA_SHA_512', 'sha512'],
    ['ECC_SECG_P256K1', 'ECDSA_SHA_256', 'sha256'],
  ] as const) {
    it(`${spec}: RAW and DIGEST give DER ECDSA signatures that node:crypto, openssl and Verify accept`, async () => {
      const key = await kms.key(spec, 'SIGN_VERIFY');
      const message = randomBytes(1000);
      const digest = createHash(hash).update(message).digest();
      const raw = await kms.client.send(new SignCommand({ KeyId: key.id, Message: message, MessageType: 'RAW', SigningAlgorithm: algorithm }));
      expect(raw).toMatchObject({ KeyId: key.arn, SigningAlgorithm: algorithm });
      expect(verify(hash, message, key.publicKey!, Buffer.from(raw.Signature!))).toBe(true);
      // MessageType DIGEST: KMS skips the hashing step, so both sign the same message.
      const digested = await kms.client.send(new SignCommand({ KeyId: key.id, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: algorithm }));
      expect(verify(hash, message, key.publicKey!, Buffer.from(digested.Signature!))).toBe(true);
      expect(await opensslVerify(key.publicKey!.export({ type: 'spki', format: 'pem' }), hash, message, digested.Signature!)).toBe('Verified OK');
      for (const [Message, MessageType] of [[message, 'RAW'], [digest, 'DIGEST']] as const) {
        const ok = await kms.client.send(new VerifyCommand({ KeyId: key.id, Message, MessageType, Signature: digested.Signature, SigningAlgorithm: algorithm }));
        expect(ok).toMatchObject({ KeyId: key.arn, SignatureValid: true, SigningAlgorithm: algorithm });
      }
      // Real KMS answers a bad signature with KMSInvalidSignatureException, never SignatureValid: false.
      const bad = Buffer.from(digested.Signature!);
      bad[bad.length - 1]! ^= 1;
      expect(await kmsErrorOf(kms.client.send(new VerifyCommand({ KeyId: key.id, Message: digest, MessageType: 'DIGEST', Signature: bad, SigningAlgorithm: algorithm })))).toBe('KMSInvalidSignatureException');
      expect(await kmsErrorOf(kms.client.send(new VerifyCommand({ KeyId: key.id, Message: randomBytes(10), Signature: raw.Signature, SigningAlgorithm: algorithm })))).toBe('KMSInvalidSignatureException');
      expect(await kmsErrorOf(kms.client.send(new VerifyCommand({ KeyId: key.id, Message: message, Signature: Buffer.from('not DER'), SigningAlgorithm: algorithm })))).toBe('KMSInvalidSignatureException');
    });
  }

  it('a digest signed as RAW is hashed again and does not verify as the message (the API reference warns of this)', async () => {
    const key = await kms.key('ECC_NIST_P256', 'SIGN_VERIFY');
    const message = Buffer.from('hello');
    const digest = createHash('sha256').update(message).digest();
    const { Signature } = await kms.client.send(new SignCommand({ KeyId: key.id, Message: digest, SigningAlgorithm: 'ECDSA_SHA_256' }));
    expect(verify('sha256', message, key.publicKey!, Buffer.from(Signature!))).toBe(false);
    expect(verify('sha256', digest, key.publicKey!, Buffer.from(Signature!))).toBe(true);
  });

  it('refuses RAW messages over 4096 bytes, digests of the wrong length, foreign algorithms and keys of the wrong usage', async () => {
    const key = await kms.key('ECC_NIST_P256', 'SIGN_VERIFY');
    const sign = (input: object) => kms.client.send(new SignCommand({ KeyId: key.id, SigningAlgorithm: 'ECDSA_SHA_256', ...input } as never));
    expect((await sign({ Message: Buffer.alloc(4096), MessageType: 'RAW' })).Signature).toBeInstanceOf(Uint8Array);
    // API reference: "Messages can be 0-4096 bytes. To sign a larger message, provide a message digest."
    expect(await kmsErrorOf(sign({ Message: Buffer.alloc(4097), MessageType: 'RAW' }))).toBe('ValidationException');
    // API reference: with DIGEST "the length of the Message value must match the length of hashed messages for the specified signing algorithm".
    expect(await kmsErrorOf(sign({ Message: Buffer.alloc(48), MessageType: 'DIGEST' }))).toBe('ValidationException');
    // InvalidKeyUsageException: "the signing algorithm ... is incompatible with the type of key material".
    expect(await kmsErrorOf(sign({ Message: Buffer.alloc(32), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_384' }))).toBe('InvalidKeyUsageException');
    expect(await kmsErrorOf(sign({ Message: Buffer.alloc(32), SigningAlgorithm: 'RSASSA_PSS_SHA_256' }))).toBe('InvalidKeyUsageException');
    expect(await kmsErrorOf(sign({ Message: Buffer.alloc(32), SigningAlgorithm: 'ECDSA_MD5' }))).toBe('ValidationException');
    const encryption = await kms.key('RSA_2048', 'ENCRYPT_DECRYPT');
    expect(await kmsErrorOf(kms.client.send(new SignCommand({ KeyId: encryption.id, Message: Buffer.alloc(1), SigningAlgorithm: 'RSASSA_PSS_SHA_256' })))).toBe('InvalidKeyUsageException');
    const symmetric = await kms.key('SYMMETRIC_DEFAULT');
    expect(await kmsErrorOf(kms.client.send(new SignCommand({ KeyId: symmetric.id, Message: Buffer.alloc(1), SigningAlgorithm: 'ECDSA_SHA_256' })))).toBe('InvalidKeyUsageException');
  });
});

describe('Sign and Verify with RSA keys', () => {
  it('RSASSA_PKCS1_V1_5 and RSASSA_PSS with every hash, RAW and DIGEST, verify with node:crypto and Verify', async () => {
    const key = await kms.key('RSA_2048', 'SIGN_VERIFY');
    const message = randomBytes(300);
    for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
      const digest = createHash(hash).update(message).digest();
      const suffix = hash.replace('sha', 'SHA_');
      for (const [family, padding] of [['RSASSA_PKCS1_V1_5', constants.RSA_PKCS1_PADDING], ['RSASSA_PSS', constants.RSA_PKCS1_PSS_PADDING]] as const) {
        const SigningAlgorithm = `${family}_${suffix}` as never;
        for (const [Message, MessageType] of [[message, 'RAW'], [digest, 'DIGEST']] as const) {
          const { Signature } = await kms.client.send(new SignCommand({ KeyId: key.id, Message, MessageType, SigningAlgorithm }));
          // KMS uses PSS with MGF1 of the same hash and a salt as long as the hash.
          expect(verify(hash, message, { key: key.publicKey!, padding, saltLength: digest.length }, Buffer.from(Signature!))).toBe(true);
          expect((await kms.client.send(new VerifyCommand({ KeyId: key.id, Message: digest, MessageType: 'DIGEST', Signature, SigningAlgorithm }))).SignatureValid).toBe(true);
          const bad = Buffer.from(Signature!);
          bad[10]! ^= 1;
          expect(await kmsErrorOf(kms.client.send(new VerifyCommand({ KeyId: key.id, Message, MessageType, Signature: bad, SigningAlgorithm })))).toBe('KMSInvalidSignatureException');
        }
      }
    }
  });

  it('an RSA PKCS#1 v1.5 signature passes openssl dgst -verify', async () => {
    const key = await kms.key('RSA_3072', 'SIGN_VERIFY');
    const data = Buffer.from('{"amount": 42}');
    const { Signature } = await kms.client.send(new SignCommand({ KeyId: key.id, Message: data, SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' }));
    expect(await opensslVerify(key.publicKey!.export({ type: 'spki', format: 'pem' }), 'sha256', data, Signature!)).toBe('Verified OK');
  });
});
