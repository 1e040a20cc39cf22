import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { startKmsEmulator, type KmsEmulator } from '@sealpost/kms-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_ENV, CLI, RECEIVER } from './support/receiver.ts';
import { PG_URL } from './support/servers.ts';

const run = promisify(execFile);
let dir: string;
let kms: KmsEmulator;
let wrongUsageKey: string;
let good: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-check-'));
  for (const [name, type] of [['sender', 'ec-p256'], ['receiver', 'rsa-2048']]) await run(process.execPath, [CLI, 'keygen', '--type', type!, '--out', join(dir, name!)]);
  kms = await startKmsEmulator();
  const client = new KMSClient({ endpoint: kms.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  // A signing key where a receiver key (ENCRYPT_DECRYPT) belongs.
  wrongUsageKey = (await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
  client.destroy();
  const pgWithPassword = PG_URL.replace('postgres://postgres@', 'postgres://postgres:hunter2-secret@');
  good = {
    SEALPOST_TRANSPORT: `spool:${join(dir, 'spool')}`,
    SEALPOST_STORE: pgWithPassword,
    SEALPOST_KEYS: join(dir, 'receiver.pem'),
    SEALPOST_TRUST: join(dir, 'sender.pub.pem'),
  };
});

afterAll(async () => {
  await kms?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `sealpost-receiver --check` with only these SEALPOST_* variables. */
async function check(settings: Record<string, string>): Promise<{ code: number; stdout: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SEALPOST_')));
  try {
    const { stdout } = await run(process.execPath, [RECEIVER, '--check'], { env: { ...env, ...AWS_ENV, AWS_ENDPOINT_URL_KMS: kms.url, ...settings } });
    return { code: 0, stdout };
  } catch (error) {
    return { code: (error as { code: number }).code, stdout: (error as { stdout: string }).stdout };
  }
}

describe('sealpost-receiver --check: a deployment pre-flight', () => {
  it('with a good configuration: prints the resolved settings without secrets, every check ok, exit 0', async () => {
    const { code, stdout } = await check(good);
    expect(stdout).toContain('postgres://postgres:***@');
    expect(stdout).not.toContain('hunter2-secret');
    expect(stdout).toMatch(/^ok {3}keys/m);
    expect(stdout).toMatch(/^ok {3}store/m);
    expect(stdout).toMatch(/^ok {3}transport/m);
    expect(code).toBe(0);
  }, 120_000);

  // Built when each test runs: the KMS key exists only after beforeAll.
  const failures: [string, () => Record<string, string>, () => RegExp][] = [
    ['a missing key file', () => ({ SEALPOST_KEYS: join(dir, 'missing.pem') }), () => /^FAIL keys .*missing\.pem/m],
    ['a KMS key of the wrong usage', () => ({ SEALPOST_KEYS: `kms:${wrongUsageKey}` }), () => new RegExp(`^FAIL keys .*KMS_KEY_UNUSABLE.*${wrongUsageKey}`, 'm')],
    ['an unreachable store', () => ({ SEALPOST_STORE: 'postgres://postgres@127.0.0.1:1/test' }), () => /^FAIL store \(SEALPOST_STORE(, SEALPOST_BLOB_STORE)?\) postgres:\/\/postgres@127\.0\.0\.1:1\/test: STORE_UNAVAILABLE/m],
    ['an unreachable transport', () => ({ SEALPOST_TRANSPORT: 'bullmq://127.0.0.1:1/inbox' }), () => /^FAIL transport \(SEALPOST_TRANSPORT\) bullmq:\/\/127\.0\.0\.1:1\/inbox: TRANSPORT_UNAVAILABLE/m],
  ];
  for (const [what, change, named] of failures) {
    it(`with ${what}: exit 2, naming it, the other checks still reported`, async () => {
      const { code, stdout } = await check({ ...good, ...change() });
      expect(stdout).toMatch(named());
      expect(stdout.match(/^(ok |FAIL)/gm)).toHaveLength(3);
      expect(code).toBe(2);
    }, 120_000);
  }

  it('with an invalid configuration: exit 2 naming the setting', async () => {
    const { code, stdout } = await check({ ...good, SEALPOST_CONCURRENCY: 'many' });
    expect(stdout).toMatch(/^FAIL configuration: CONFIG_INVALID: .*concurrency \(SEALPOST_CONCURRENCY\)/m);
    expect(code).toBe(2);
  }, 120_000);
});
