import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKmsClient, createKmsSigner, createKmsTrustedSender } from '@sealpost/aws-kms';
import { createLocalKeyUnwrapper, createLocalKeyWrapper, createOpener, createTrustStore, decodeEvidence, decodeStatement, generateLocalKeyPair, verifyEvidence } from '@sealpost/envelope';
import { startKmsEmulator, type KmsEmulator } from '@sealpost/kms-emulator';
import { createReceiverMetrics, startReceiver } from '@sealpost/receiver';
import { createSender } from '@sealpost/sender';
import { createPostgresStore } from '@sealpost/store';
import { createBullmqTransport } from '@sealpost/transport';
import { AWS_ENV, CLI, until } from './support/receiver.ts';
import { PG_URL, REDIS_URL, dropSchema } from './support/servers.ts';
import { CreateKeyCommand, GetPublicKeyCommand } from '@aws-sdk/client-kms';

const run = promisify(execFile);
let kms: KmsEmulator;
let dir: string;

beforeAll(async () => {
  kms = await startKmsEmulator();
  dir = await mkdtemp(join(tmpdir(), 'sealpost-batch-'));
});

afterAll(async () => {
  await kms.close();
  await rm(dir, { recursive: true, force: true });
});

async function kmsSenderKey() {
  const client = createKmsClient({ endpoint: kms.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const { KeyMetadata } = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P521', KeyUsage: 'SIGN_VERIFY' }));
  const keyId = KeyMetadata!.Arn!;
  const { PublicKey } = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
  return { client, keyId, signer: await createKmsSigner({ client, keyId }), trusted: await createKmsTrustedSender({ client, keyId }), publicKeyDer: Buffer.from(PublicKey!) };
}

describe('batch signing with a KMS sender key', () => {
  it('BullMQ -> receiver worker -> PostgreSQL: one KMS Sign per batch; every message stored once and re-verifiable on its own', async () => {
    const key = await kmsSenderKey();
    const receiverKey = await generateLocalKeyPair('rsa-2048');
    const queue = `q-${randomUUID()}`;
    const prefix = `sealpost-test-${randomUUID()}`;
    const schema = `t_${randomUUID().replace(/-/g, '')}`;
    const { sender: transport } = createBullmqTransport({ redisUrl: REDIS_URL, queue, prefix });
    const { consumer } = createBullmqTransport({ redisUrl: REDIS_URL, queue, prefix, concurrency: 16 });
    const store = createPostgresStore({ connectionString: PG_URL, schema });
    const trust = createTrustStore([key.trusted]);
    const receiver = await startReceiver({
      opener: createOpener({ keys: createLocalKeyUnwrapper(receiverKey.privateKeyPem), trust }),
      store,
      consumer,
      metrics: createReceiverMetrics(),
      logger: pino({ level: 'silent' }),
    });
    const sender = createSender({ signer: key.signer, recipients: [createLocalKeyWrapper(receiverKey.publicKeyPem)], transport, batchSigning: { maxMessages: 50, maxDelayMs: 1000 } });
    const reader = createPostgresStore({ connectionString: PG_URL, schema });
    try {
      kms.resetCalls();
      const results = await sender.sendMany(Array.from({ length: 120 }, (_, i) => ({ payload: Buffer.from(JSON.stringify({ i })), name: `m-${i}.json`, contentType: 'application/json' })));
      expect(results.filter((r) => 'error' in r)).toEqual([]);
      // 120 messages in batches of at most 50: three Sign calls.
      expect(kms.calls().Sign).toBe(3);
      await reader.init();
      await until(async () => (await reader.list({ limit: 1000 })).length === 120);
      const counts = new Map<number, number>();
      for (const summary of await reader.list({ limit: 1000 })) {
        const stored = (await reader.get(summary.id))!;
        const manifest = await verifyEvidence(trust, stored.manifest, stored.signature);
        expect(manifest.id).toBe(stored.id);
        const { batch } = decodeEvidence(stored.signature);
        const count = decodeStatement(batch!.statement).count;
        counts.set(count, (counts.get(count) ?? 0) + 1);
      }
      expect([...counts.entries()].sort()).toEqual([[20, 20], [50, 100]]);

      // The CLI re-verifies a stored batch-signed message and exports files openssl checks.
      const id = (await reader.list({ limit: 1 }))[0]!.id;
      await writeFile(join(dir, 'sender.pub.der'), key.publicKeyDer);
      await run('openssl', ['pkey', '-pubin', '-inform', 'DER', '-in', join(dir, 'sender.pub.der'), '-out', join(dir, 'sender.pub.pem')]);
      const env = { ...process.env, ...AWS_ENV, AWS_ENDPOINT_URL_KMS: kms.url };
      const verified = await run(process.execPath, [CLI, 'messages', 'verify', id, '--store', `${PG_URL}?schema=${schema}`, '--trust', `kms:${key.keyId}`, '--json'], { env });
      expect(JSON.parse(verified.stdout)).toMatchObject({ id, verified: true, algorithm: 'ECDSA_SHA_512' });
      await run(process.execPath, [CLI, 'messages', 'export', id, '--store', `${PG_URL}?schema=${schema}`, '--out', join(dir, 'payload'), '--evidence', join(dir, 'evidence')], { env });
      const { stdout } = await run('openssl', ['dgst', '-sha512', '-verify', join(dir, 'sender.pub.pem'), '-signature', join(dir, 'evidence.statement.sig'), join(dir, 'evidence.statement.cbor')]);
      expect(stdout).toContain('Verified OK');
    } finally {
      await sender.close();
      await receiver.stop();
      await reader.close();
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await dropSchema(schema);
    }
  });

  it('a batch Sign that KMS keeps throttling fails every message of the batch as transient; none is sent', async () => {
    const key = await kmsSenderKey();
    const receiverKey = await generateLocalKeyPair('rsa-2048');
    const sent: Uint8Array[] = [];
    const transport = { batchSize: 10, maxEnvelopeBytes: 1 << 20, send: (e: Uint8Array) => (sent.push(e), Promise.resolve()), sendBatch: (items: readonly { envelope: Uint8Array }[]) => (items.forEach((i) => sent.push(i.envelope)), Promise.resolve()), close: () => Promise.resolve() };
    const sender = createSender({ signer: key.signer, recipients: [createLocalKeyWrapper(receiverKey.publicKeyPem)], transport, batchSigning: { maxMessages: 5 } });
    kms.setFaults({ throttleRate: 1, operations: ['Sign'] });
    try {
      const results = await sender.sendMany(Array.from({ length: 5 }, (_, i) => ({ payload: Buffer.from(String(i)) })));
      for (const r of results) expect('error' in r && [r.error.code, r.error.transient]).toEqual(['KMS_THROTTLED', true]);
      expect(sent).toEqual([]);
    } finally {
      kms.setFaults({});
    }
  });

  it('concurrent send calls fill one batch under a KMS quota of 5 Sign/s', async () => {
    const key = await kmsSenderKey();
    const receiverKey = await generateLocalKeyPair('rsa-2048');
    const envelopes: Uint8Array[] = [];
    const transport = { batchSize: 10, maxEnvelopeBytes: 1 << 20, send: (e: Uint8Array) => (envelopes.push(e), Promise.resolve()), sendBatch: () => Promise.resolve(), close: () => Promise.resolve() };
    const sender = createSender({ signer: key.signer, recipients: [createLocalKeyWrapper(receiverKey.publicKeyPem)], transport, batchSigning: { maxMessages: 40, maxDelayMs: 60_000 } });
    kms.setQuotas({ ecc: 5 });
    kms.resetCalls();
    try {
      await Promise.all(Array.from({ length: 40 }, (_, i) => sender.send(Buffer.from(`concurrent ${i}`))));
      expect(kms.calls().Sign).toBe(1);
      const opener = createOpener({ keys: createLocalKeyUnwrapper(receiverKey.privateKeyPem), trust: createTrustStore([key.trusted]) });
      for (const e of envelopes) expect((await opener.open(e)).batch).toBeDefined();
    } finally {
      kms.setQuotas({});
    }
  });

  it('sealpost send --batch-sign writes batch-signed envelopes that sealpost open verifies, each on its own', async () => {
    const work = join(dir, 'cli');
    await mkdir(join(work, 'outbox'), { recursive: true });
    for (const [name, type] of [['sender', 'ec-p256'], ['receiver', 'rsa-2048']] as const) await run(process.execPath, [CLI, 'keygen', '--type', type, '--out', join(work, 'keys', name)]);
    for (let i = 0; i < 3; i++) await writeFile(join(work, 'outbox', `n-${i}.txt`), `note ${i}`);
    const spool = join(work, 'spool');
    const sent = await run(process.execPath, [CLI, 'send', '--batch-sign', '--batch-max-messages', '3', '--batch-max-delay-ms', '60000', '--transport', `spool:${spool}`, '--sign-key', join(work, 'keys/sender.pem'), '--to', join(work, 'keys/receiver.pub.pem'), join(work, 'outbox'), '--json']);
    expect(JSON.parse(sent.stdout.trim().split('\n').pop()!)).toMatchObject({ sent: 3, failed: 0 });
    const names = await readdir(join(spool, 'incoming'));
    expect(names).toHaveLength(3);
    const leaves: number[] = [];
    for (const name of names) {
      const { stdout } = await run(process.execPath, [CLI, 'open', '--key', join(work, 'keys/receiver.pem'), '--trust', join(work, 'keys/sender.pub.pem'), '--in', join(spool, 'incoming', name), '--out', join(work, `${name}.out`), '--json']);
      const opened = JSON.parse(stdout) as { batch: { index: number; count: number } };
      expect(opened.batch.count).toBe(3);
      leaves.push(opened.batch.index);
    }
    expect(leaves.sort()).toEqual([0, 1, 2]);
    const usage = await run(process.execPath, [CLI, 'send', '--batch-sign', '--batch-max-messages', '0', '--transport', `spool:${spool}`, '--sign-key', join(work, 'keys/sender.pem'), '--to', join(work, 'keys/receiver.pub.pem'), join(work, 'outbox')]).catch((e: { code: number; stderr: string }) => e);
    expect((usage as { code: number }).code).toBe(2);
  });
});
