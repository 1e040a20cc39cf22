import { CreateKeyCommand, DescribeKeyCommand, EncryptCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREDENTIALS, kmsErrorOf } from './support.ts';

const CLI = resolve(import.meta.dirname, '../src/cli.ts');

function start(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, stderr: () => stderr };
}

describe('the kms-emulator command', () => {
  it('prints its URL once listening, answers at once, takes faults from flags and HTTP, and exits 0 on SIGTERM', async () => {
    const { child } = start(['--port', '0', '--throttle-every', '1']);
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line.toString())![1]!;
      expect(await (await fetch(`${url}/__emulator/health`)).json()).toEqual({ ok: true });
      const client = new KMSClient({ endpoint: url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
      expect(await kmsErrorOf(client.send(new CreateKeyCommand({})))).toBe('ThrottlingException');
      await fetch(`${url}/__emulator/faults`, { method: 'POST', body: '{}' });
      expect((await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyState).toBe('Enabled');
      expect(await (await fetch(`${url}/__emulator/calls`)).json()).toEqual({ CreateKey: 2 });
      client.destroy();
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('creates the keys named by --key under their aliases before it answers, without counting them as calls', async () => {
    const { child } = start(['--port', '0', '--key', 'alias/sealpost-sender=ECC_NIST_P521', '--key', 'alias/sealpost-receiver=RSA_4096', '--key', 'alias/byok=SYMMETRIC_DEFAULT:EXTERNAL', '--key', 'alias/rsa-signer=RSA_2048:SIGN_VERIFY']);
    try {
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      const printed = chunk.toString();
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(printed)![1]!;
      expect(printed).toMatch(/alias\/sealpost-sender -> arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f-]{36} \(ECC_NIST_P521, SIGN_VERIFY, Enabled\)/);
      expect(printed).toMatch(/alias\/byok -> arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f-]{36} \(SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, PendingImport\)/);
      const client = new KMSClient({ endpoint: url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
      const signed = await client.send(new SignCommand({ KeyId: 'alias/sealpost-sender', Message: Buffer.from('hi'), SigningAlgorithm: 'ECDSA_SHA_512' }));
      expect(signed.Signature!.length).toBeGreaterThan(0);
      const wrapped = await client.send(new EncryptCommand({ KeyId: 'alias/sealpost-receiver', Plaintext: Buffer.alloc(32), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
      expect(wrapped.CiphertextBlob!.length).toBe(512);
      expect((await client.send(new DescribeKeyCommand({ KeyId: 'alias/byok' }))).KeyMetadata).toMatchObject({ Origin: 'EXTERNAL', KeyState: 'PendingImport' });
      expect((await client.send(new DescribeKeyCommand({ KeyId: 'alias/rsa-signer' }))).KeyMetadata).toMatchObject({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
      expect(await (await fetch(`${url}/__emulator/calls`)).json()).toEqual({ Sign: 1, Encrypt: 1, DescribeKey: 2 });
      client.destroy();
    } finally {
      child.kill('SIGTERM');
    }
    expect((await once(child, 'exit'))[0]).toBe(0);
  });

  it('exits 2 naming a --key it cannot create', async () => {
    for (const [flag, message] of [
      ['sealpost-sender=ECC_NIST_P521', '--key must look like alias/NAME=KEY_SPEC'],
      ['alias/x=RSA_9', 'key alias/x: unknown key spec RSA_9'],
      ['alias/x=ECC_NIST_P256:ENCRYPT_DECRYPT', 'key alias/x: KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ECC_NIST_P256'],
      ['alias/x=RSA_2048:BOGUS', 'BOGUS is not a key usage'],
    ] as const) {
      const { child, stderr } = start(['--port', '0', '--key', flag]);
      expect((await once(child, 'exit'))[0]).toBe(2);
      expect(stderr()).toContain(message);
    }
  });

  it('exits 2 with a message naming the bad flag', async () => {
    const { child, stderr } = start(['--port', '0', '--throttle-rate', '3']);
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr()).toContain('throttleRate must be between 0 and 1, got 3');
    const unknown = start(['--bogus']);
    expect((await once(unknown.child, 'exit'))[0]).toBe(2);
    expect(unknown.stderr()).toMatch(/Unknown option '--bogus'/);
    // The usage names the command a reader can run.
    expect(unknown.stderr()).toContain('usage: sealpost-kms-emulator [--port N]');
  });
});
