import { CreateAliasCommand, CreateKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKmsProcess, type KmsProcess } from './support/kms-process.ts';

const run = promisify(execFile);
const CLI = resolve(import.meta.dirname, '../apps/cli/src/main.ts');
let kms: KmsProcess;
let env: NodeJS.ProcessEnv;
let client: KMSClient;
let dir: string;

async function sealpost(args: string[]) {
  return run(process.execPath, [CLI, ...args], { cwd: dir, env, maxBuffer: 8 * 1024 * 1024 });
}

const key = (keySpec: string, keyUsage: string, alias?: string) => kms.createKey(keySpec, keyUsage, alias);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-kms-cli-'));
  // The emulator as a user runs it: a separate process on a port it picks.
  kms = await startKmsProcess();
  ({ env, client } = kms);
  await writeFile(join(dir, 'message.json'), '{"seed":"flow"}\n');
  await sealpost(['keygen', '--type', 'ec-p256', '--out', 'local-sender']);
  await sealpost(['keygen', '--type', 'rsa-2048', '--out', 'local-receiver']);
});

afterAll(async () => {
  await kms?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the CLI with AWS KMS keys (the seed flow, against the KMS emulator)', () => {
  it('ECC_NIST_P521 signing key and RSA_4096 encryption key in KMS: seal and open with kms: references', async () => {
    const signArn = await key('ECC_NIST_P521', 'SIGN_VERIFY', 'alias/sender');
    const encArn = await key('RSA_4096', 'ENCRYPT_DECRYPT');
    const sealed = JSON.parse((await sealpost(['seal', '--sign-key', 'kms:alias/sender', '--to', `kms:${encArn}`, '--in', 'message.json', '--out', 'kms.enc', '--json'])).stdout);
    expect(sealed).toMatchObject({ sender: signArn, recipients: [encArn] });
    const opened = JSON.parse((await sealpost(['open', '--key', `kms:${encArn}`, '--trust', 'kms:alias/sender', '--in', 'kms.enc', '--out', 'kms.json', '--json'])).stdout);
    expect(opened).toMatchObject({ id: sealed.id, sender: signArn, algorithm: 'ECDSA_SHA_512', recipientKeyId: encArn });
    expect(await readFile(join(dir, 'kms.json'), 'utf8')).toBe('{"seed":"flow"}\n');
  });

  it('mixes local and KMS keys in both directions', async () => {
    const signArn = await key('ECC_NIST_P256', 'SIGN_VERIFY');
    const encArn = await key('RSA_2048', 'ENCRYPT_DECRYPT');
    await sealpost(['seal', '--sign-key', 'local-sender.pem', '--to', `kms:${encArn}`, '--in', 'message.json', '--out', 'a.enc']);
    await sealpost(['open', '--key', `kms:${encArn}`, '--trust', 'local-sender.pub.pem', '--in', 'a.enc', '--out', 'a.json']);
    await sealpost(['seal', '--sign-key', `kms:${signArn}`, '--to', 'local-receiver.pub.pem', '--in', 'message.json', '--out', 'b.enc']);
    await sealpost(['open', '--key', 'local-receiver.pem', '--trust', `kms:${signArn}`, '--in', 'b.enc', '--out', 'b.json']);
    expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe('{"seed":"flow"}\n');
    expect(await readFile(join(dir, 'b.json'), 'utf8')).toBe('{"seed":"flow"}\n');
    const rejected = await sealpost(['open', '--key', 'local-receiver.pem', '--trust', 'local-sender.pub.pem', '--in', 'b.enc', '--out', 'c.json']).catch((e: { code: number; stderr: string }) => e);
    expect(rejected).toMatchObject({ code: 1 });
    expect((rejected as { stderr: string }).stderr).toMatch(/UNTRUSTED_SENDER/);
  });

  it('kms csr, import-key-material and policy', async () => {
    await key('ECC_NIST_P384', 'SIGN_VERIFY', 'alias/csr-signer');
    await sealpost(['kms', 'csr', '--key-id', 'alias/csr-signer', '--subject', 'CN=Signer, O=MyOrg, OU=MyOrgUnit, C=SE, L=Gothenburg', '--out', 'signer.csr']);
    const verified = await run('openssl', ['req', '-in', join(dir, 'signer.csr'), '-noout', '-verify']);
    expect(`${verified.stdout}${verified.stderr}`).toMatch(/verify OK/);
    const { KeyMetadata } = await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }));
    const imported = JSON.parse((await sealpost(['kms', 'import-key-material', '--key-id', KeyMetadata!.KeyId!, '--generate', '--wrapping-key-spec', 'RSA_2048', '--json'])).stdout);
    expect(imported).toMatchObject({ keyState: 'Enabled', origin: 'EXTERNAL' });
    const policy = JSON.parse((await sealpost(['kms', 'policy', '--sender-role', 'arn:aws:iam::111122223333:role/s', '--receiver-role', 'arn:aws:iam::111122223333:role/r', '--admin-role', 'arn:aws:iam::111122223333:role/a'])).stdout);
    for (const statement of [...policy.signingKeyPolicy.Statement, ...policy.encryptionKeyPolicy.Statement]) expect(statement.Principal.AWS).toMatch(/^arn:aws:iam::111122223333:/);
    expect(policy.signingKeyPolicy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['EnableIamPolicies', 'KeyAdministration', 'SenderSigns', 'ReceiverVerifies']);
  });

  it('import-key-material takes an alias (the README example), keeps generated material with --material-out, and refuses unwrappable material with exit 2', async () => {
    const { KeyMetadata } = await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }));
    await client.send(new CreateAliasCommand({ AliasName: 'alias/byok', TargetKeyId: KeyMetadata!.KeyId }));
    const imported = JSON.parse((await sealpost(['kms', 'import-key-material', '--key-id', 'alias/byok', '--generate', '--material-out', 'byok.key', '--wrapping-key-spec', 'RSA_2048', '--json'])).stdout);
    expect(imported).toMatchObject({ keyId: KeyMetadata!.KeyId, keyState: 'Enabled', materialOut: 'byok.key' });
    expect((await stat(join(dir, 'byok.key'))).mode & 0o777).toBe(0o600);
    // The kept copy is the imported material: KMS takes it again (and would refuse any other).
    expect((await sealpost(['kms', 'import-key-material', '--key-id', 'alias/byok', '--material', 'byok.key', '--wrapping-key-spec', 'RSA_2048'])).stdout).toMatch(/the key is Enabled/);
    const rsa = await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL', KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }));
    const refused = await sealpost(['kms', 'import-key-material', '--key-id', rsa.KeyMetadata!.KeyId!, '--generate', '--wrapping-algorithm', 'RSAES_OAEP_SHA_256', '--json']).catch((e: { code: number; stderr: string }) => e);
    expect(refused).toMatchObject({ code: 2 });
    expect(JSON.parse((refused as { stderr: string }).stderr).error).toMatchObject({ code: 'CONFIG_INVALID', transient: false });
    const csr = JSON.parse((await sealpost(['kms', 'policy', '--sender-role', 'arn:aws:iam::111122223333:role/s', '--receiver-role', 'arn:aws:iam::111122223333:role/r', '--admin-role', 'arn:aws:iam::111122223333:role/a', '--csr-role', 'arn:aws:iam::111122223333:role/pki', '--key', 'signing'])).stdout);
    expect(csr.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['EnableIamPolicies', 'KeyAdministration', 'SenderSigns', 'ReceiverVerifies', 'CsrSigns']);
  });
});
