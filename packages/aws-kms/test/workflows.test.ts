import { CreateKeyCommand, DecryptCommand, EncryptCommand, SignCommand } from '@aws-sdk/client-kms';
import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createCsr, importKeyMaterial, keyPolicies } from '../src/index.ts';
import { useKms } from './support.ts';

const run = promisify(execFile);
const kms = useKms();

describe('CSR, BYOK import and key policies', () => {
  it('createCsr makes a PKCS#10 request signed by KMS that openssl verifies, with the subject given', async () => {
    const key = await kms.createKey('ECC_NIST_P521', 'SIGN_VERIFY');
    const pem = await createCsr({ client: kms.client, keyId: key.id, subject: 'CN=Signer, O=MyOrg, OU=MyOrgUnit, C=SE, L=Gothenburg' });
    const dir = await mkdtemp(join(tmpdir(), 'sealpost-csr-'));
    try {
      await writeFile(join(dir, 'csr.pem'), pem);
      const verified = await run('openssl', ['req', '-in', join(dir, 'csr.pem'), '-noout', '-verify', '-subject', '-nameopt', 'RFC2253']);
      expect(`${verified.stdout}${verified.stderr}`).toMatch(/verify OK|Certificate request self-signature verify OK/);
      expect(verified.stdout).toContain('subject=L=Gothenburg,C=SE,OU=MyOrgUnit,O=MyOrg,CN=Signer');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await expect(createCsr({ client: kms.client, keyId: key.id, subject: 'XX=nope' })).rejects.toThrow(/cannot read subject part/);
  });

  it('imports symmetric material into an EXTERNAL key: Enabled, and Encrypt/Decrypt work', async () => {
    const { KeyMetadata } = await kms.client.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }));
    for (const wrappingAlgorithm of ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1'] as const) {
      const metadata = await importKeyMaterial({ client: kms.client, keyId: KeyMetadata!.KeyId!, generate: wrappingAlgorithm === 'RSAES_OAEP_SHA_256', ...(wrappingAlgorithm === 'RSAES_OAEP_SHA_1' ? { material: Buffer.alloc(32, 9) } : {}), wrappingAlgorithm, wrappingKeySpec: 'RSA_2048' }).catch((e: Error) => e);
      if (wrappingAlgorithm === 'RSAES_OAEP_SHA_256') {
        expect(metadata).toMatchObject({ KeyState: 'Enabled', Origin: 'EXTERNAL' });
        const { CiphertextBlob } = await kms.client.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: Buffer.from('byok') }));
        expect(Buffer.from((await kms.client.send(new DecryptCommand({ CiphertextBlob }))).Plaintext!).toString()).toBe('byok');
      } else {
        // Re-importing different material into the same key is refused, as KMS does.
        expect(String(metadata)).toMatch(/IncorrectKeyMaterialException/);
      }
    }
  });

  it('imports an ECC signing key generated in-house: KMS signatures verify with the local public key', async () => {
    const local = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const { KeyMetadata } = await kms.client.send(new CreateKeyCommand({ Origin: 'EXTERNAL', KeySpec: 'ECC_NIST_P384', KeyUsage: 'SIGN_VERIFY' }));
    await importKeyMaterial({ client: kms.client, keyId: KeyMetadata!.KeyId!, material: local.privateKey.export({ type: 'pkcs8', format: 'der' }), wrappingKeySpec: 'RSA_3072' });
    const digest = createHash('sha384').update('hsm').digest();
    const { Signature } = await kms.client.send(new SignCommand({ KeyId: KeyMetadata!.KeyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_384' }));
    expect(verify('sha384', Buffer.from('hsm'), local.publicKey, Buffer.from(Signature!))).toBe(true);
    const notExternal = await kms.createKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT');
    await expect(importKeyMaterial({ client: kms.client, keyId: notExternal.id, generate: true })).rejects.toThrow(/not created with Origin EXTERNAL/);
  });

  it('keyPolicies: valid JSON, least privilege per role, no wildcard principal', () => {
    const roles = { senderRoleArn: 'arn:aws:iam::111122223333:role/sender', receiverRoleArn: 'arn:aws:iam::111122223333:role/receiver', adminRoleArn: 'arn:aws:iam::111122223333:role/kms-admin' };
    const policies = JSON.parse(JSON.stringify(keyPolicies(roles))) as ReturnType<typeof keyPolicies>;
    for (const policy of [policies.signingKeyPolicy, policies.encryptionKeyPolicy]) {
      for (const s of policy.Statement) {
        expect(s.Principal.AWS).not.toBe('*');
        expect(s.Principal.AWS).toMatch(/^arn:aws:iam::111122223333:(root|role\/)/);
      }
      const admin = policy.Statement.find((s) => s.Principal.AWS === roles.adminRoleArn)!;
      expect(admin.Action.some((a: string) => /Sign|Verify|Encrypt|Decrypt/.test(a))).toBe(false);
    }
    const actionsOf = (policy: typeof policies.signingKeyPolicy, role: string) => policy.Statement.filter((s) => s.Principal.AWS === role).flatMap((s) => s.Action);
    expect(actionsOf(policies.signingKeyPolicy, roles.senderRoleArn).sort()).toEqual(['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Sign']);
    expect(actionsOf(policies.signingKeyPolicy, roles.receiverRoleArn).sort()).toEqual(['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Verify']);
    expect(actionsOf(policies.encryptionKeyPolicy, roles.senderRoleArn).sort()).toEqual(['kms:DescribeKey', 'kms:Encrypt', 'kms:GetPublicKey']);
    expect(actionsOf(policies.encryptionKeyPolicy, roles.receiverRoleArn).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    expect(() => keyPolicies({ ...roles, senderRoleArn: '*' })).toThrow(/sender role must be an IAM role ARN/);
    expect(() => keyPolicies({ ...roles, receiverRoleArn: roles.senderRoleArn })).toThrow(/must be different roles/);
  });
});
