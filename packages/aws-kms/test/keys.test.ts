import { CreateAliasCommand, DecryptCommand, DisableKeyCommand, GetPublicKeyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { execFile } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLocalKeyUnwrapper, createLocalKeyWrapper, createLocalSigner, createLocalTrustedSender, createOpener, createSealer, createTrustStore, generateLocalKeyPair, isSealpostError } from '@sealpost/envelope';
import { describe, expect, it } from 'vitest';
import { createKmsKeyUnwrapper, createKmsKeyWrapper, createKmsSigner, createKmsTrustedSender } from '../src/index.ts';
import { useKms } from './support.ts';

const run = promisify(execFile);
const kms = useKms();

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isSealpostError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('KMS-backed keys against the emulator', () => {
  for (const [spec, algorithm, hash] of [['ECC_NIST_P256', 'ECDSA_SHA_256', 'sha256'], ['ECC_NIST_P384', 'ECDSA_SHA_384', 'sha384'], ['ECC_NIST_P521', 'ECDSA_SHA_512', 'sha512'], ['ECC_SECG_P256K1', 'ECDSA_SHA_256', 'sha256']] as const) {
    it(`${spec}: signs a DIGEST, verifies locally and with KMS Verify, and openssl agrees`, async () => {
      const key = await kms.createKey(spec, 'SIGN_VERIFY');
      await kms.client.send(new CreateAliasCommand({ AliasName: `alias/signer-${spec.toLowerCase()}`, TargetKeyId: key.id }));
      const signer = await createKmsSigner({ client: kms.client, keyId: `alias/signer-${spec.toLowerCase()}` });
      expect(signer).toMatchObject({ keyId: key.arn, algorithm });
      const data = Buffer.alloc(10_000, 7);
      const signature = await signer.sign(data);
      for (const mode of ['local', 'kms'] as const) {
        const sender = await createKmsTrustedSender({ client: kms.client, keyId: key.id, mode });
        expect(await sender.verifier.verify(key.arn, algorithm, data, signature)).toBe(true);
        expect(await sender.verifier.verify(key.arn, algorithm, Buffer.alloc(10_000, 8), signature)).toBe(false);
      }
      const { PublicKey } = await kms.client.send(new GetPublicKeyCommand({ KeyId: key.id }));
      const dir = await mkdtemp(join(tmpdir(), 'sealpost-kms-'));
      try {
        await writeFile(join(dir, 'pub.pem'), createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }));
        await writeFile(join(dir, 'sig'), signature);
        await writeFile(join(dir, 'data'), data);
        expect((await run('openssl', ['dgst', `-${hash}`, '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig'), join(dir, 'data')])).stdout.trim()).toBe('Verified OK');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      expect(createHash(hash).update(data).digest().length).toBeGreaterThan(0);
    });
  }

  it('wraps locally with the GetPublicKey key or with KMS Encrypt; KMS Decrypt opens both', async () => {
    const key = await kms.createKey('RSA_4096', 'ENCRYPT_DECRYPT');
    const unwrapper = await createKmsKeyUnwrapper({ client: kms.client, keyId: key.id, cache: false });
    for (const mode of ['local', 'encrypt'] as const) {
      const wrapper = await createKmsKeyWrapper({ client: kms.client, keyId: key.id, mode });
      expect(wrapper.keyId).toBe(key.arn);
      const dataKey = Buffer.alloc(32, mode === 'local' ? 1 : 2);
      const wrapped = await wrapper.wrap(dataKey);
      expect(Buffer.from(await unwrapper.unwrap(wrapped)).equals(dataKey)).toBe(true);
      const { Plaintext } = await kms.client.send(new DecryptCommand({ KeyId: key.id, CiphertextBlob: wrapped, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
      expect(Buffer.from(Plaintext!).equals(dataKey)).toBe(true);
    }
    expect(await codeOf(unwrapper.unwrap(Buffer.alloc(512, 3)))).toBe('UNWRAP_FAILED');
  });

  it('seal and open end to end: KMS to KMS, local sender to KMS receiver, KMS sender to local receiver', async () => {
    const signKey = await kms.createKey('ECC_NIST_P521', 'SIGN_VERIFY');
    const encKey = await kms.createKey('RSA_4096', 'ENCRYPT_DECRYPT');
    const localSender = await generateLocalKeyPair('ec-p384');
    const localReceiver = await generateLocalKeyPair('rsa-2048');
    const kmsSigner = await createKmsSigner({ client: kms.client, keyId: signKey.id });
    const kmsSender = await createKmsTrustedSender({ client: kms.client, keyId: signKey.arn });
    const kmsWrapper = await createKmsKeyWrapper({ client: kms.client, keyId: encKey.id });
    const kmsUnwrapper = await createKmsKeyUnwrapper({ client: kms.client, keyId: encKey.id });
    const cases = [
      { signer: kmsSigner, recipient: kmsWrapper, keys: kmsUnwrapper, trusted: kmsSender },
      { signer: createLocalSigner(localSender.privateKeyPem), recipient: kmsWrapper, keys: kmsUnwrapper, trusted: createLocalTrustedSender(localSender.publicKeyPem) },
      { signer: kmsSigner, recipient: createLocalKeyWrapper(localReceiver.publicKeyPem), keys: createLocalKeyUnwrapper(localReceiver.privateKeyPem), trusted: kmsSender },
    ];
    for (const c of cases) {
      const sealer = createSealer({ signer: c.signer, recipients: [c.recipient] });
      const opener = createOpener({ keys: c.keys, trust: createTrustStore([c.trusted]) });
      const { envelope, id } = await sealer.seal(Buffer.from('{"amount":42}'), { name: 'm.json', contentType: 'application/json' });
      const opened = await opener.open(envelope);
      expect(opened.manifest.id).toBe(id);
      expect(opened.manifest.sender.keyId).toBe(c.signer.keyId);
      expect(Buffer.from(opened.payload).toString()).toBe('{"amount":42}');
    }
  });

  it('counts KMS calls: Sign per message and GetPublicKey once to seal; one Decrypt per data key and no Verify to open', async () => {
    const signKey = await kms.createKey('ECC_NIST_P256', 'SIGN_VERIFY');
    const encKey = await kms.createKey('RSA_2048', 'ENCRYPT_DECRYPT');
    kms.emulator.resetCalls();
    const sealer = createSealer({
      signer: await createKmsSigner({ client: kms.client, keyId: signKey.id }),
      recipients: [await createKmsKeyWrapper({ client: kms.client, keyId: encKey.id })],
      dataKeyReuse: { maxMessages: 10 },
    });
    const envelopes = [];
    for (let i = 0; i < 20; i++) envelopes.push((await sealer.seal(Buffer.from(`message ${i}`))).envelope);
    expect(kms.emulator.calls()).toEqual({ DescribeKey: 2, GetPublicKey: 1, Sign: 20 });
    kms.emulator.resetCalls();
    const opener = createOpener({
      keys: await createKmsKeyUnwrapper({ client: kms.client, keyId: encKey.id }),
      trust: createTrustStore([await createKmsTrustedSender({ client: kms.client, keyId: signKey.id })]),
    });
    for (const envelope of envelopes) await opener.open(envelope);
    expect(kms.emulator.calls()).toEqual({ DescribeKey: 2, GetPublicKey: 1, Decrypt: 2 });
  });

  it('startup checks fail clearly for disabled, pending-deletion and wrongly used keys', async () => {
    const disabled = await kms.createKey('ECC_NIST_P256', 'SIGN_VERIFY');
    await kms.client.send(new DisableKeyCommand({ KeyId: disabled.id }));
    await expect(createKmsSigner({ client: kms.client, keyId: disabled.id })).rejects.toThrow(/is Disabled; it must be Enabled/);
    const deleting = await kms.createKey('RSA_2048', 'ENCRYPT_DECRYPT');
    await kms.client.send(new ScheduleKeyDeletionCommand({ KeyId: deleting.id, PendingWindowInDays: 7 }));
    await expect(createKmsKeyUnwrapper({ client: kms.client, keyId: deleting.id })).rejects.toThrow(/PendingDeletion/);
    const encryption = await kms.createKey('RSA_2048', 'ENCRYPT_DECRYPT');
    await expect(createKmsSigner({ client: kms.client, keyId: encryption.id })).rejects.toThrow(/KeyUsage ENCRYPT_DECRYPT; a signing key needs SIGN_VERIFY/);
    const signing = await kms.createKey('RSA_2048', 'SIGN_VERIFY');
    await expect(createKmsKeyWrapper({ client: kms.client, keyId: signing.id })).rejects.toThrow(/an encryption key needs ENCRYPT_DECRYPT/);
    const symmetric = await kms.createKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT');
    await expect(createKmsKeyWrapper({ client: kms.client, keyId: symmetric.id })).rejects.toThrow(/must be RSA_2048, RSA_3072 or RSA_4096/);
    expect(await codeOf(createKmsSigner({ client: kms.client, keyId: 'alias/nope' }))).toBe('KMS_KEY_UNUSABLE');
  });
});
