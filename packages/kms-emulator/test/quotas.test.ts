import { EncryptCommand, SignCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { parseQuotas, startKmsEmulator } from '../src/index.ts';
import { useEmulator } from './support.ts';

const kms = useEmulator();

describe('request-rate quotas per key type', () => {
  it('answer ECC requests over the quota with ThrottlingException (HTTP 400), and leave other key types alone', async () => {
    const ecc = await kms.key('ECC_NIST_P256', 'SIGN_VERIFY');
    const aes = await kms.key('SYMMETRIC_DEFAULT');
    kms.emulator.setQuotas({ ecc: 1 });
    try {
      const sign = () => kms.client.send(new SignCommand({ KeyId: ecc.id, Message: Buffer.alloc(32), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }));
      const outcomes = await Promise.all(Array.from({ length: 6 }, () => sign().then(() => 'ok', (error: Error & { $metadata: { httpStatusCode?: number } }) => `${error.name} ${error.$metadata.httpStatusCode}`)));
      expect(outcomes).toContain('ok');
      expect(outcomes).toContain('ThrottlingException 400');
      for (let i = 0; i < 6; i++) expect((await kms.client.send(new EncryptCommand({ KeyId: aes.id, Plaintext: Buffer.from('x') }))).CiphertextBlob).toBeDefined();
      expect(await (await fetch(`${kms.emulator.url}/__emulator/quotas`)).json()).toEqual({ ecc: 1 });
    } finally {
      kms.emulator.setQuotas({});
    }
  });

  it('reject settings outside their ranges, from the API, the CLI syntax and the options', async () => {
    expect(() => kms.emulator.setQuotas({ ecc: 0 })).toThrow(RangeError);
    expect(() => kms.emulator.setQuotas({ dsa: 5 } as never)).toThrow(/unknown/);
    expect(parseQuotas('ecc=300,rsa=500')).toEqual({ ecc: 300, rsa: 500 });
    expect(() => parseQuotas('ecc=fast')).toThrow(RangeError);
    await expect(startKmsEmulator({ quotas: { rsa: -1 } })).rejects.toThrow(RangeError);
  });
});
