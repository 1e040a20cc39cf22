import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand, GetPublicKeyCommand, ListAliasesCommand, ScheduleKeyDeletionCommand, SignCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { kmsErrorOf, useEmulator } from './support.ts';

const kms = useEmulator();

describe('CreateKey and DescribeKey', () => {
  it('returns KeyMetadata shaped like AWS KMS for every supported spec', async () => {
    const rsaSigning = ['RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512', 'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512'];
    const cases = [
      ['ECC_NIST_P256', 'SIGN_VERIFY', { SigningAlgorithms: ['ECDSA_SHA_256'] }],
      ['ECC_NIST_P384', 'SIGN_VERIFY', { SigningAlgorithms: ['ECDSA_SHA_384'] }],
      ['ECC_NIST_P521', 'SIGN_VERIFY', { SigningAlgorithms: ['ECDSA_SHA_512'] }],
      ['ECC_SECG_P256K1', 'SIGN_VERIFY', { SigningAlgorithms: ['ECDSA_SHA_256'] }],
      ['RSA_2048', 'ENCRYPT_DECRYPT', { EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] }],
      ['RSA_3072', 'SIGN_VERIFY', { SigningAlgorithms: rsaSigning }],
      ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] }],
    ] as const;
    for (const [KeySpec, KeyUsage, algorithms] of cases) {
      const { KeyMetadata } = await kms.client.send(new CreateKeyCommand({ KeySpec, KeyUsage, Description: `a ${KeySpec} key` }));
      expect(KeyMetadata).toMatchObject({
        AWSAccountId: '111122223333', KeySpec, CustomerMasterKeySpec: KeySpec, KeyUsage, KeyState: 'Enabled', Enabled: true,
        Origin: 'AWS_KMS', KeyManager: 'CUSTOMER', MultiRegion: false, Description: `a ${KeySpec} key`, ...algorithms,
      });
      expect(KeyMetadata!.Arn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${KeyMetadata!.KeyId}`);
      expect(KeyMetadata!.CreationDate).toBeInstanceOf(Date);
      expect((await kms.client.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.Arn }))).KeyMetadata).toEqual(KeyMetadata);
    }
  });

  it('defaults to a SYMMETRIC_DEFAULT ENCRYPT_DECRYPT key and rejects usages the spec does not allow (ValidationException)', async () => {
    const { KeyMetadata } = await kms.client.send(new CreateKeyCommand({}));
    expect(KeyMetadata).toMatchObject({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Description: '' });
    // The API reference: ECC key specs are SIGN_VERIFY (or KEY_AGREEMENT) only; KeyUsage defaults to ENCRYPT_DECRYPT.
    expect(await kmsErrorOf(kms.client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'ENCRYPT_DECRYPT' })))).toBe('ValidationException');
    expect(await kmsErrorOf(kms.client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256' })))).toBe('ValidationException');
    expect(await kmsErrorOf(kms.client.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'SIGN_VERIFY' })))).toBe('ValidationException');
    expect(await kmsErrorOf(kms.client.send(new CreateKeyCommand({ KeySpec: 'HMAC_256' as never, KeyUsage: 'GENERATE_VERIFY_MAC' })))).toBe('ValidationException');
  });

  it('puts the region the request was signed for into the ARN; keys are regional', async () => {
    const stockholm = kms.clientWith(1, 'eu-north-1');
    const { KeyMetadata } = await stockholm.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
    expect(KeyMetadata!.Arn).toBe(`arn:aws:kms:eu-north-1:111122223333:key/${KeyMetadata!.KeyId}`);
    expect((await stockholm.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId }))).KeyMetadata!.Arn).toBe(KeyMetadata!.Arn);
    // A key of another region is not found, by id or by ARN, as in KMS.
    expect(await kmsErrorOf(kms.client.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId })))).toBe('NotFoundException');
    expect(await kmsErrorOf(kms.client.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.Arn })))).toBe('NotFoundException');
    expect(await kmsErrorOf(kms.client.send(new DescribeKeyCommand({ KeyId: 'arn:aws:kms:us-east-1:111122223333:nonsense' })))).toBe('InvalidArnException');
  });
});

describe('GetPublicKey', () => {
  it('returns the DER SubjectPublicKeyInfo with the key spec, usage and algorithms', async () => {
    for (const [KeySpec, KeyUsage, curveOrBits, algorithms] of [
      ['ECC_NIST_P521', 'SIGN_VERIFY', 'secp521r1', { SigningAlgorithms: ['ECDSA_SHA_512'] }],
      ['ECC_SECG_P256K1', 'SIGN_VERIFY', 'secp256k1', { SigningAlgorithms: ['ECDSA_SHA_256'] }],
      ['RSA_2048', 'ENCRYPT_DECRYPT', 2048, { EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] }],
    ] as const) {
      const key = await kms.key(KeySpec, KeyUsage);
      const details = key.publicKey!.asymmetricKeyDetails!;
      expect(typeof curveOrBits === 'string' ? details.namedCurve : details.modulusLength).toBe(curveOrBits);
      const result = await kms.client.send(new GetPublicKeyCommand({ KeyId: key.id }));
      expect(result).toMatchObject({ KeyId: key.arn, KeySpec, CustomerMasterKeySpec: KeySpec, KeyUsage, ...algorithms });
    }
  });

  it('fails for symmetric keys (UnsupportedOperationException) and disabled keys (DisabledException)', async () => {
    const symmetric = await kms.key('SYMMETRIC_DEFAULT');
    expect(await kmsErrorOf(kms.client.send(new GetPublicKeyCommand({ KeyId: symmetric.id })))).toBe('UnsupportedOperationException');
    const ec = await kms.key('ECC_NIST_P256', 'SIGN_VERIFY');
    await kms.client.send(new DisableKeyCommand({ KeyId: ec.id }));
    expect(await kmsErrorOf(kms.client.send(new GetPublicKeyCommand({ KeyId: ec.id })))).toBe('DisabledException');
  });
});

describe('aliases', () => {
  it('resolve wherever KMS takes an alias: alias name and alias ARN, next to key id and key ARN', async () => {
    const key = await kms.key('ECC_NIST_P256', 'SIGN_VERIFY');
    await kms.client.send(new CreateAliasCommand({ AliasName: 'alias/sender', TargetKeyId: key.arn }));
    for (const ref of ['alias/sender', 'arn:aws:kms:us-east-1:111122223333:alias/sender', key.arn, key.id]) {
      expect((await kms.client.send(new DescribeKeyCommand({ KeyId: ref }))).KeyMetadata!.KeyId).toBe(key.id);
    }
    expect((await kms.client.send(new SignCommand({ KeyId: 'alias/sender', Message: Buffer.from('x'), SigningAlgorithm: 'ECDSA_SHA_256' }))).KeyId).toBe(key.arn);
    const { Aliases } = await kms.client.send(new ListAliasesCommand({ KeyId: key.id }));
    expect(Aliases).toEqual([{ AliasName: 'alias/sender', AliasArn: 'arn:aws:kms:us-east-1:111122223333:alias/sender', TargetKeyId: key.id }]);
    expect((await kms.client.send(new ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName)).toContain('alias/sender');
  });

  it('duplicates fail with AlreadyExistsException, unknown aliases with NotFoundException; aliases are regional', async () => {
    const key = await kms.key('SYMMETRIC_DEFAULT');
    await kms.client.send(new CreateAliasCommand({ AliasName: 'alias/unique', TargetKeyId: key.id }));
    expect(await kmsErrorOf(kms.client.send(new CreateAliasCommand({ AliasName: 'alias/unique', TargetKeyId: key.id })))).toBe('AlreadyExistsException');
    expect(await kmsErrorOf(kms.client.send(new CreateAliasCommand({ AliasName: 'no-prefix', TargetKeyId: key.id })))).toBe('ValidationException');
    expect(await kmsErrorOf(kms.client.send(new DescribeKeyCommand({ KeyId: 'alias/missing' })))).toBe('NotFoundException');
    expect(await kmsErrorOf(kms.client.send(new DescribeKeyCommand({ KeyId: '00000000-0000-0000-0000-000000000000' })))).toBe('NotFoundException');
    expect(await kmsErrorOf(kms.clientWith(1, 'eu-west-1').send(new DescribeKeyCommand({ KeyId: 'alias/unique' })))).toBe('NotFoundException');
    expect(await kmsErrorOf(kms.client.send(new DescribeKeyCommand({ KeyId: 'arn:aws:kms:eu-west-1:111122223333:alias/unique' })))).toBe('NotFoundException');
  });

  it('are refused where the API reference asks for a key id or key ARN (EnableKey, DisableKey, ScheduleKeyDeletion, CreateAlias target)', async () => {
    const key = await kms.key('SYMMETRIC_DEFAULT');
    await kms.client.send(new CreateAliasCommand({ AliasName: 'alias/admin-only', TargetKeyId: key.id }));
    expect(await kmsErrorOf(kms.client.send(new DisableKeyCommand({ KeyId: 'alias/admin-only' })))).toBe('NotFoundException');
    expect(await kmsErrorOf(kms.client.send(new EnableKeyCommand({ KeyId: 'alias/admin-only' })))).toBe('NotFoundException');
    expect(await kmsErrorOf(kms.client.send(new ScheduleKeyDeletionCommand({ KeyId: 'alias/admin-only' })))).toBe('NotFoundException');
    expect(await kmsErrorOf(kms.client.send(new CreateAliasCommand({ AliasName: 'alias/second', TargetKeyId: 'alias/admin-only' })))).toBe('NotFoundException');
  });
});

describe('key states', () => {
  it('disabled keys refuse cryptography with DisabledException until enabled', async () => {
    const key = await kms.key('ECC_NIST_P256', 'SIGN_VERIFY');
    const sign = () => kms.client.send(new SignCommand({ KeyId: key.id, Message: Buffer.from('x'), SigningAlgorithm: 'ECDSA_SHA_256' }));
    await kms.client.send(new DisableKeyCommand({ KeyId: key.id }));
    expect((await kms.client.send(new DescribeKeyCommand({ KeyId: key.id }))).KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    expect(await kmsErrorOf(sign())).toBe('DisabledException');
    await kms.client.send(new EnableKeyCommand({ KeyId: key.arn }));
    expect((await sign()).Signature).toBeInstanceOf(Uint8Array);
  });

  it('keys pending deletion refuse everything with KMSInvalidStateException; the window is 7 to 30 days', async () => {
    const key = await kms.key('ECC_NIST_P256', 'SIGN_VERIFY');
    expect(await kmsErrorOf(kms.client.send(new ScheduleKeyDeletionCommand({ KeyId: key.id, PendingWindowInDays: 3 })))).toBe('ValidationException');
    const scheduled = await kms.client.send(new ScheduleKeyDeletionCommand({ KeyId: key.id, PendingWindowInDays: 7 }));
    expect(scheduled).toMatchObject({ KeyId: key.arn, KeyState: 'PendingDeletion', PendingWindowInDays: 7 });
    expect(scheduled.DeletionDate!.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect((await kms.client.send(new DescribeKeyCommand({ KeyId: key.id }))).KeyMetadata).toMatchObject({ KeyState: 'PendingDeletion', Enabled: false, DeletionDate: scheduled.DeletionDate });
    expect(await kmsErrorOf(kms.client.send(new SignCommand({ KeyId: key.id, Message: Buffer.from('x'), SigningAlgorithm: 'ECDSA_SHA_256' })))).toBe('KMSInvalidStateException');
    expect(await kmsErrorOf(kms.client.send(new GetPublicKeyCommand({ KeyId: key.id })))).toBe('KMSInvalidStateException');
    expect(await kmsErrorOf(kms.client.send(new EnableKeyCommand({ KeyId: key.id })))).toBe('KMSInvalidStateException');
    expect(await kmsErrorOf(kms.client.send(new ScheduleKeyDeletionCommand({ KeyId: key.id })))).toBe('KMSInvalidStateException');
  });
});
