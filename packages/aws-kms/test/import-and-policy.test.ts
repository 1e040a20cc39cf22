import { CreateAliasCommand, CreateKeyCommand, GetParametersForImportCommand, ImportKeyMaterialCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { ADMIN_ACTIONS, importKeyMaterial, keyPolicies } from '../src/index.ts';
import { useKms } from './support.ts';

const kms = useKms(1);

async function externalKey(alias?: string, KeySpec = 'SYMMETRIC_DEFAULT', KeyUsage = 'ENCRYPT_DECRYPT') {
  const { KeyMetadata } = await kms.client.send(new CreateKeyCommand({ Origin: 'EXTERNAL', KeySpec: KeySpec as never, KeyUsage: KeyUsage as never }));
  if (alias) await kms.client.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: KeyMetadata!.KeyId }));
  return KeyMetadata!;
}

describe('bring your own key', () => {
  it('an alias is resolved before GetParametersForImport and ImportKeyMaterial, which take key ids only (as in AWS)', async () => {
    const key = await externalKey('alias/byok-resolved');
    await expect(kms.client.send(new GetParametersForImportCommand({ KeyId: 'alias/byok-resolved', WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }))).rejects.toMatchObject({ name: 'NotFoundException' });
    await expect(kms.client.send(new ImportKeyMaterialCommand({ KeyId: 'alias/byok-resolved', ImportToken: Buffer.alloc(8), EncryptedKeyMaterial: Buffer.alloc(256), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }))).rejects.toMatchObject({ name: 'NotFoundException' });
    const metadata = await importKeyMaterial({ client: kms.client, keyId: 'alias/byok-resolved', generate: true, wrappingKeySpec: 'RSA_2048' });
    expect(metadata).toMatchObject({ KeyId: key.KeyId, KeyState: 'Enabled' });
  });

  it('material the wrapping algorithm cannot carry is CONFIG_INVALID before any import token is issued', async () => {
    const rsa = await externalKey(undefined, 'RSA_2048', 'SIGN_VERIFY');
    const p521 = await externalKey(undefined, 'ECC_NIST_P521', 'SIGN_VERIFY');
    kms.emulator.resetCalls();
    await expect(importKeyMaterial({ client: kms.client, keyId: rsa.KeyId!, generate: true, wrappingAlgorithm: 'RSAES_OAEP_SHA_256' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      transient: false,
      message: expect.stringMatching(/RSA_2048 key material cannot be wrapped with RSAES_OAEP_SHA_256.*RSA_AES_KEY_WRAP_SHA_256/),
    });
    await expect(importKeyMaterial({ client: kms.client, keyId: p521.KeyId!, generate: true, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/do not fit RSAES_OAEP_SHA_256 under an RSA_2048 wrapping key \(at most 190\)/),
    });
    expect(kms.emulator.calls().GetParametersForImport ?? 0).toBe(0);
  });

  it('generated material is handed over before the import, and that copy imports again into the same key', async () => {
    const key = await externalKey();
    let copy: Buffer | undefined;
    await importKeyMaterial({ client: kms.client, keyId: key.KeyId!, generate: true, wrappingKeySpec: 'RSA_2048', onGenerated: async (material) => void (copy = Buffer.from(material)) });
    expect(copy).toHaveLength(32);
    // KMS refuses different material for a key that had material: the copy is the same.
    await expect(importKeyMaterial({ client: kms.client, keyId: key.KeyId!, material: copy!, wrappingKeySpec: 'RSA_2048' })).resolves.toMatchObject({ KeyState: 'Enabled' });
    await expect(importKeyMaterial({ client: kms.client, keyId: key.KeyId!, material: Buffer.alloc(32, 1), wrappingKeySpec: 'RSA_2048' })).rejects.toMatchObject({ code: 'KMS_KEY_UNUSABLE' });
  });

  it('nothing is imported when keeping the generated material fails', async () => {
    const key = await externalKey();
    kms.emulator.resetCalls();
    await expect(importKeyMaterial({ client: kms.client, keyId: key.KeyId!, generate: true, onGenerated: () => Promise.reject(new Error('disk full')) })).rejects.toThrow(/disk full/);
    expect(kms.emulator.calls().GetParametersForImport ?? 0).toBe(0);
  });
});

describe('key policies', () => {
  const roles = { senderRoleArn: 'arn:aws:iam::111122223333:role/sender', receiverRoleArn: 'arn:aws:iam::111122223333:role/receiver', adminRoleArn: 'arn:aws:iam::111122223333:role/kms-admin' };

  it('the admin statement names its actions: no wildcard, no grant or policy change, no use of the key', () => {
    const policies = keyPolicies(roles);
    for (const policy of [policies.signingKeyPolicy, policies.encryptionKeyPolicy]) {
      const admin = policy.Statement.find((s) => s.Sid === 'KeyAdministration')!;
      expect(admin.Action).toEqual([...ADMIN_ACTIONS]);
      for (const action of admin.Action) {
        expect(action).toMatch(/^kms:[A-Za-z]+$/);
        expect(action).not.toMatch(/^kms:(CreateGrant|PutKeyPolicy|Sign|Verify|Encrypt|Decrypt|ReEncrypt.*|GenerateDataKey.*|GetPublicKey|GenerateMac|VerifyMac)$/);
      }
      // The account root statement is the one kms:* in the policy, for the account's IAM only.
      const wildcards = policy.Statement.filter((s) => s.Action.some((a) => a.includes('*')));
      expect(wildcards.map((s) => [s.Sid, s.Principal.AWS])).toEqual([['EnableIamPolicies', 'arn:aws:iam::111122223333:root']]);
    }
  });

  it('kms csr needs GetPublicKey and Sign on the signing key: the sender role has both, and a CSR role may be named', () => {
    const withCsr = keyPolicies({ ...roles, csrRoleArn: 'arn:aws:iam::111122223333:role/pki' });
    const sender = withCsr.signingKeyPolicy.Statement.find((s) => s.Sid === 'SenderSigns')!;
    expect(sender.Action).toEqual(expect.arrayContaining(['kms:Sign', 'kms:GetPublicKey']));
    expect(withCsr.signingKeyPolicy.Statement.find((s) => s.Sid === 'CsrSigns')).toMatchObject({ Principal: { AWS: 'arn:aws:iam::111122223333:role/pki' }, Action: ['kms:GetPublicKey', 'kms:Sign', 'kms:DescribeKey'] });
    expect(withCsr.encryptionKeyPolicy.Statement.some((s) => s.Sid === 'CsrSigns')).toBe(false);
    expect(() => keyPolicies({ ...roles, csrRoleArn: roles.adminRoleArn })).toThrow(/must not be the admin or the receiver role/);
  });
});
