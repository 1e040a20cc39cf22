import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCertificate, parseCertificateChain } from '@sealpost/envelope';
import { startKmsProcess, type KmsProcess } from './support/kms-process.ts';
import { CLI } from './support/receiver.ts';

const run = promisify(execFile);
let kms: KmsProcess;
let env: NodeJS.ProcessEnv;
let dir: string;

/** Runs `sealpost`, with the caller's SEALPOST_* variables replaced by `settings`. */
async function sealpost(args: string[], settings: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('SEALPOST_')));
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: dir, env: { ...clean, ...settings } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const kmsKey = (keySpec: string, keyUsage: string, alias?: string) => kms.createKey(keySpec, keyUsage, alias);

const json = (text: string) => text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-keys-cli-'));
  kms = await startKmsProcess();
  env = kms.env;
  await writeFile(join(dir, 'message.json'), '{"keys":"cli"}\n');
  const made = await Promise.all([
    sealpost(['keygen', '--type', 'ec-p384', '--out', 'trusted/sender']),
    sealpost(['keygen', '--type', 'ec-p256', '--out', 'trusted/other']),
    sealpost(['keygen', '--type', 'rsa-2048', '--out', 'trusted/receiver']),
    sealpost(['ca', 'init', '--dir', 'ca', '--subject', 'CN=Keys Test CA']),
  ]);
  expect(made.map((r) => r.code)).toEqual([0, 0, 0, 0]);
}, 240_000);

afterAll(async () => {
  await kms?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('sealpost keys id', () => {
  it('prints the id the envelope carries for a local sender and recipient key, from the public or the private file', async () => {
    const ids = await sealpost(['keys', 'id', 'trusted/sender.pub.pem', 'trusted/sender.pem', 'trusted/receiver.pub.pem', 'trusted/receiver.pem']);
    expect(ids.code).toBe(0);
    const [senderId, fromPrivate, receiverId, receiverFromPrivate] = ids.stdout.trim().split('\n');
    expect(fromPrivate).toBe(senderId);
    expect(receiverFromPrivate).toBe(receiverId);
    expect(ids.stderr).toContain('trusted/sender.pub.pem: sender key, ECDSA_SHA_384');
    // The ids a sealed message names its sender and recipient by.
    expect((await sealpost(['seal', '--sign-key', 'trusted/sender.pem', '--to', 'trusted/receiver.pub.pem', '--in', 'message.json', '--out', 'local.enc'])).code).toBe(0);
    const opened = json((await sealpost(['open', '--key', 'trusted/receiver.pem', '--trust', 'trusted/sender.pub.pem', '--in', 'local.enc', '--out', 'local.json', '--json'])).stdout)[0]!;
    expect(opened).toMatchObject({ sender: senderId, recipientKeyId: receiverId });
    expect(json((await sealpost(['keys', 'id', 'trusted/receiver.pem', '--json'])).stdout)).toEqual([
      { ref: 'trusted/receiver.pem', keyId: receiverId, role: 'recipient', algorithm: 'RSAES_OAEP_SHA_256', type: 'rsa 2048' },
    ]);
  });

  it('prints the key ARN for kms: references (alias or ARN), the id messages carry, and refuses a key Sealpost cannot use', async () => {
    const signArn = await kmsKey('ECC_NIST_P521', 'SIGN_VERIFY', 'alias/keys-id-sender');
    const encArn = await kmsKey('RSA_3072', 'ENCRYPT_DECRYPT');
    const listed = json((await sealpost(['keys', 'id', 'kms:alias/keys-id-sender', `kms:${encArn}`, '--json'])).stdout);
    expect(listed).toEqual([
      { ref: 'kms:alias/keys-id-sender', keyId: signArn, role: 'sender', algorithm: 'ECDSA_SHA_512', type: 'ECC_NIST_P521' },
      { ref: `kms:${encArn}`, keyId: encArn, role: 'recipient', algorithm: 'RSAES_OAEP_SHA_256', type: 'RSA_3072' },
    ]);
    const sealed = json((await sealpost(['seal', '--sign-key', 'kms:alias/keys-id-sender', '--to', `kms:${encArn}`, '--in', 'message.json', '--out', 'kms.enc', '--json'])).stdout)[0]!;
    expect(sealed).toMatchObject({ sender: listed[0]!.keyId, recipients: [listed[1]!.keyId] });

    const rsaSigning = await kmsKey('RSA_2048', 'SIGN_VERIFY');
    const refused = await sealpost(['keys', 'id', `kms:${rsaSigning}`, '--json']);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stderr).error).toMatchObject({ code: 'KMS_KEY_UNUSABLE', message: expect.stringContaining('KeySpec RSA_2048') });
    const notAKey = await sealpost(['keys', 'id', 'message.json']);
    expect(notAKey).toMatchObject({ code: 2, stdout: '' });
    expect(notAKey.stderr).toMatch(/KEY_INVALID: message\.json/);
  });
});

describe('sealpost keys trusted', () => {
  it('lists the trusted senders (a directory, a file, a KMS key) and CA certificates of the receiver settings, with --json', async () => {
    const signArn = await kmsKey('ECC_NIST_P256', 'SIGN_VERIFY', 'alias/keys-trusted');
    const [senderId, otherId] = (await sealpost(['keys', 'id', 'trusted/sender.pub.pem', 'trusted/other.pub.pem'])).stdout.trim().split('\n');
    const ca = describeCertificate(parseCertificateChain(await readFile(join(dir, 'ca/ca.pem'), 'utf8'))[0]!);
    const settings = { SEALPOST_TRUST: 'trusted,kms:alias/keys-trusted', SEALPOST_TRUST_CA: 'ca/ca.pem', SEALPOST_REQUIRE_SAN: 'URI:urn:example:orders' };
    const listed = await sealpost(['keys', 'trusted', '--json'], settings);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({
      // The directory's RSA key is not a sender, as the receiver reads it.
      senders: [
        { keyId: otherId, algorithm: 'ECDSA_SHA_256', source: join('trusted', 'other.pub.pem') },
        { keyId: senderId, algorithm: 'ECDSA_SHA_384', source: join('trusted', 'sender.pub.pem') },
        { keyId: signArn, algorithm: 'ECDSA_SHA_256', source: 'alias/keys-trusted' },
      ],
      certificateAuthorities: [{ subject: 'CN=Keys Test CA', fingerprint: ca.fingerprint, notAfter: ca.notAfter.toISOString(), source: 'ca/ca.pem' }],
      crls: [],
      constraints: { subjectAltName: 'URI:urn:example:orders' },
    });
    const human = await sealpost(['keys', 'trusted'], settings);
    expect(human.stdout).toContain(`trusted senders (SEALPOST_TRUST): 3\n  ${otherId}  ECDSA_SHA_256  trusted/other.pub.pem`);
    expect(human.stdout).toContain(`  CN=Keys Test CA  sha256:${ca.fingerprint}`);
    expect(human.stdout).toContain('certified senders must have: subjectAltName "URI:urn:example:orders"');
  });

  it('reads a receiver --config file, the environment overriding it, and refuses what the receiver refuses', async () => {
    await writeFile(join(dir, 'receiver.json'), JSON.stringify({ trust: ['trusted/sender.pub.pem'], store: 'sqlite:x.db' }));
    const [senderId, otherId] = (await sealpost(['keys', 'id', 'trusted/sender.pub.pem', 'trusted/other.pub.pem'])).stdout.trim().split('\n');
    const fromFile = JSON.parse((await sealpost(['keys', 'trusted', '--config', 'receiver.json', '--json'])).stdout);
    expect(fromFile.senders.map((s: { keyId: string }) => s.keyId)).toEqual([senderId]);
    const overridden = JSON.parse((await sealpost(['keys', 'trusted', '--config', 'receiver.json', '--json'], { SEALPOST_TRUST: 'trusted/other.pub.pem' })).stdout);
    expect(overridden.senders.map((s: { keyId: string }) => s.keyId)).toEqual([otherId]);

    const refusals = await Promise.all([
      sealpost(['keys', 'trusted', '--json']),
      sealpost(['keys', 'trusted', '--json'], { SEALPOST_TRUST: 'trusted/receiver.pub.pem' }),
      sealpost(['keys', 'trusted', '--json'], { SEALPOST_TRUST: 'trusted/sender.pub.pem', SEALPOST_TRUS_CA: 'ca/ca.pem' }),
      sealpost(['keys', 'trusted', '--json'], { SEALPOST_TRUST: 'missing.pub.pem' }),
    ]);
    expect(refusals.map((r) => [r.code, r.stdout])).toEqual([[2, ''], [2, ''], [2, ''], [2, '']]);
    const [nothing, rsa, typo, missing] = refusals.map((r) => JSON.parse(r.stderr).error as { code: string; message: string });
    expect(nothing).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('at least one trusted sender or CA certificate is required') });
    expect(rsa).toMatchObject({ code: 'KEY_INVALID', message: expect.stringContaining('trusted/receiver.pub.pem') });
    expect(typo).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('SEALPOST_TRUS_CA (did you mean SEALPOST_TRUST_CA?)') });
    expect(missing).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('missing.pub.pem') });
  });
});
