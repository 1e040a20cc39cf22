import { createLocalKeyUnwrapper, createOpener, createSealer, createTrustStore, generateLocalKeyPair, isSealpostError, createLocalTrustedSender } from '@sealpost/envelope';
import { describe, expect, it } from 'vitest';
import { createKmsClient, createKmsKeyUnwrapper, createKmsKeyWrapper, createKmsSigner, createKmsTrustedSender } from '../src/index.ts';
import { useKms } from './support.ts';

const kms = useKms();

describe('a throttled KMS', () => {
  it('slows the pipeline but loses nothing: every message seals and opens through SDK retries', async () => {
    const signKey = await kms.createKey('ECC_NIST_P256', 'SIGN_VERIFY');
    const encKey = await kms.createKey('RSA_2048', 'ENCRYPT_DECRYPT');
    const signer = await createKmsSigner({ client: kms.client, keyId: signKey.id });
    const sealer = createSealer({ signer, recipients: [await createKmsKeyWrapper({ client: kms.client, keyId: encKey.id, mode: 'encrypt' })] });
    const opener = createOpener({
      keys: await createKmsKeyUnwrapper({ client: kms.client, keyId: encKey.id }),
      trust: createTrustStore([await createKmsTrustedSender({ client: kms.client, keyId: signKey.id, mode: 'kms' })]),
    });
    kms.emulator.setFaults({ throttleEvery: 3, latencyMs: 5 });
    kms.emulator.resetCalls();
    const messages = Array.from({ length: 6 }, (_, i) => Buffer.from(`payment ${i}`));
    const envelopes = await Promise.all(messages.map((m) => sealer.seal(m)));
    const opened = await Promise.all(envelopes.map((e) => opener.open(e.envelope)));
    expect(opened.map((o) => Buffer.from(o.payload).toString())).toEqual(messages.map(String));
    const calls = kms.emulator.calls();
    // Every message needed Sign, Encrypt, Decrypt and Verify once; throttled attempts were retried.
    expect((calls.Sign ?? 0) + (calls.Encrypt ?? 0) + (calls.Decrypt ?? 0) + (calls.Verify ?? 0)).toBeGreaterThan(4 * 6);
    kms.emulator.setFaults({});
  });

  it('with retries exhausted, the failure is KMS_THROTTLED and transient', async () => {
    const noRetry = createKmsClient({ endpoint: kms.emulator.url, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 });
    const signKey = await kms.createKey('ECC_NIST_P256', 'SIGN_VERIFY');
    const signer = await createKmsSigner({ client: noRetry, keyId: signKey.id });
    kms.emulator.setFaults({ throttleRate: 1, operations: ['Sign'] });
    try {
      await signer.sign(Buffer.from('x'));
      expect.unreachable('sign should have been throttled');
    } catch (error) {
      expect(isSealpostError(error, 'KMS_THROTTLED')).toBe(true);
      expect((error as { transient: boolean }).transient).toBe(true);
    } finally {
      kms.emulator.setFaults({});
      noRetry.destroy();
    }
  });

  it('an unreachable KMS is KMS_UNAVAILABLE and transient', async () => {
    const dead = createKmsClient({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 });
    try {
      await createKmsSigner({ client: dead, keyId: 'alias/x' });
      expect.unreachable('should fail');
    } catch (error) {
      expect(isSealpostError(error, 'KMS_UNAVAILABLE')).toBe(true);
      expect((error as { transient: boolean }).transient).toBe(true);
    } finally {
      dead.destroy();
    }
    const local = await generateLocalKeyPair('rsa-2048');
    expect(createOpener({ keys: createLocalKeyUnwrapper(local.privateKeyPem), trust: createTrustStore([]) })).toBeDefined();
    expect(createLocalTrustedSender).toBeTypeOf('function');
  });
});
