import { execFile } from 'node:child_process';
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Queue } from 'bullmq';
import { startSqsEmulator } from './support/sqs-emulator.ts';
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_ENV, CLI, spawnReceiver, until } from './support/receiver.ts';
import { PG_URL, REDIS_URL, dropSchema } from './support/servers.ts';
import { createLocalKeyWrapper, createLocalSigner, createLocalTrustedSender, createSealer, decodeManifest, DEFAULT_LIMITS, uuidv7 } from '@sealpost/envelope';
import { createDynamoDbStore, createPostgresStore, createRedisStore, createSqliteStore, type MessageStore } from '@sealpost/store';
import { openTransport } from '@sealpost/transport';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-pipeline-'));
  for (const [name, type] of [['sender', 'ec-p256'], ['stranger', 'ec-p256'], ['receiver', 'rsa-2048'], ['other', 'rsa-2048']]) {
    await run(process.execPath, [CLI, 'keygen', '--type', type!, '--out', join(dir, 'keys', name!)]);
  }
  await mkdir(join(dir, 'outbox'));
  for (let i = 0; i < 40; i++) await writeFile(join(dir, 'outbox', `m-${String(i).padStart(3, '0')}.json`), JSON.stringify({ i, noise: randomBytes(200).toString('hex') }));
  await mkdir(join(dir, 'outbox-1000'));
  for (let i = 0; i < 1000; i++) await writeFile(join(dir, 'outbox-1000', `n-${String(i).padStart(4, '0')}.json`), JSON.stringify({ i }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});



async function poison(transportUrl: string) {
  const pem = async (name: string) => readFile(join(dir, 'keys', name), 'utf8');
  const good = createSealer({ signer: createLocalSigner(await pem('sender.pem')), recipients: [createLocalKeyWrapper(await pem('receiver.pub.pem'))] });
  const untrusted = createSealer({ signer: createLocalSigner(await pem('stranger.pem')), recipients: [createLocalKeyWrapper(await pem('receiver.pub.pem'))] });
  const elsewhere = createSealer({ signer: createLocalSigner(await pem('sender.pem')), recipients: [createLocalKeyWrapper(await pem('other.pub.pem'))] });
  const signer = createLocalSigner(await pem('sender.pem'));
  // Signed by the trusted key, but over other bytes than the manifest.
  const badSignature = createSealer({ signer: { ...signer, sign: () => signer.sign(Buffer.from('other bytes')) }, recipients: [createLocalKeyWrapper(await pem('receiver.pub.pem'))] });
  const eightDaysAgo = createSealer({ signer, recipients: [createLocalKeyWrapper(await pem('receiver.pub.pem'))], clock: () => Date.now() - 8 * 86_400_000 });
  const tampered = Buffer.from((await good.seal(Buffer.from('tampered'))).envelope);
  tampered[tampered.length - 5]! ^= 1;
  const { sender } = openTransport(transportUrl);
  await sender.send(tampered);
  await sender.send((await untrusted.seal(Buffer.from('forged'))).envelope);
  await sender.send((await elsewhere.seal(Buffer.from('not for us'))).envelope);
  await sender.send(Buffer.from('not an envelope at all'));
  await sender.send((await badSignature.seal(Buffer.from('bad signature'))).envelope);
  await sender.send((await eightDaysAgo.seal(Buffer.from('too old'))).envelope);
  // Two different messages under one id: whichever is stored first, the other is a replay.
  const replayedId = uuidv7();
  await sender.send((await good.seal(Buffer.from('original'), { id: replayedId, name: 'replay.txt' })).envelope);
  await sender.send((await good.seal(Buffer.from('replayed'), { id: replayedId, name: 'replay.txt' })).envelope);
  // One good message delivered twice: the second copy is acknowledged as a duplicate, without a second row.
  const duplicate = await good.seal(Buffer.from('delivered twice'), { name: 'dup.txt' });
  await sender.send(duplicate.envelope);
  await sender.send(duplicate.envelope);
  await sender.close();
  return ['DECRYPTION_FAILED', 'UNTRUSTED_SENDER', 'NOT_A_RECIPIENT', 'FORMAT_MAGIC', 'SIGNATURE_INVALID', 'MESSAGE_EXPIRED', 'REPLAY_DETECTED'];
}

async function checkStored(store: MessageStore) {
  const all = await store.list({ limit: 1000 });
  expect(all.length).toBe(42);
  expect(all.filter((m) => m.payloadName === 'dup.txt')).toHaveLength(1);
  expect(all.filter((m) => m.payloadName === 'replay.txt')).toHaveLength(1);
  const senderPem = await readFile(join(dir, 'keys/sender.pub.pem'), 'utf8');
  const trusted = createLocalTrustedSender(senderPem);
  for (const summary of all.filter((m) => m.payloadName.startsWith('m-'))) {
    const stored = (await store.get(summary.id))!;
    const original = await readFile(join(dir, 'outbox', stored.payloadName));
    expect(Buffer.from(stored.payload).equals(original)).toBe(true);
    // Evidence that stands up: the stored manifest and signature re-verify on their own.
    const manifest = decodeManifest(stored.manifest, DEFAULT_LIMITS);
    expect(await trusted.verifier.verify(trusted.keyId, trusted.algorithm, stored.manifest, stored.signature)).toBe(true);
    expect(Buffer.from(manifest.payload.sha256).equals(createHash('sha256').update(original).digest())).toBe(true);
  }
}

async function sendOutbox(transport: string) {
  const { stdout } = await run(process.execPath, [CLI, 'send', '--transport', transport, '--sign-key', join(dir, 'keys/sender.pem'), '--to', join(dir, 'keys/receiver.pub.pem'), join(dir, 'outbox'), '--json'], { env: { ...process.env, ...AWS_ENV } });
  const summary = JSON.parse(stdout.trim().split('\n').pop()!);
  expect(summary).toMatchObject({ sent: 40, failed: 0 });
}

describe('send -> transport -> receiver worker -> store', () => {
  it('spool + SQLite: every message stored once and re-verifiable; poison dead-lettered with its reason; SIGTERM exits 0', async () => {
    const spool = join(dir, 'spool');
    const database = join(dir, 'messages.db');
    const receiver = spawnReceiver(join(dir, 'keys'), `spool:${spool}`, `sqlite:${database}`);
    try {
      await sendOutbox(`spool:${spool}`);
      const codes = await poison(`spool:${spool}`);
      const store = createSqliteStore(database);
      await store.init();
      await until(async () => (await store.list({ limit: 1000 })).length === 42 && (await readdir(join(spool, 'incoming'))).length === 0 && (await readdir(join(spool, 'processing'))).length === 0);
      await checkStored(store);
      await store.close();
      const reasons = await Promise.all((await readdir(join(spool, 'dead'))).filter((n) => n.endsWith('.reason.json')).map(async (n) => JSON.parse(await readFile(join(spool, 'dead', n), 'utf8')).code as string));
      expect(reasons.sort()).toEqual(codes.sort());
    } finally {
      receiver.kill('SIGTERM');
    }
    const [code] = await once(receiver, 'exit');
    expect(code).toBe(0);
  });

  for (const backend of ['PostgreSQL', 'Redis'] as const) {
    it(`BullMQ + ${backend}: every message stored once; poison in the dead-letter queue with its reason`, async () => {
      const queue = `q-${randomUUID()}`;
      const prefix = `sealpost-test-${randomUUID()}`;
      const schema = `t_${randomUUID().replace(/-/g, '')}`;
      const transport = `bullmq://127.0.0.1:6379/${queue}?prefix=${prefix}`;
      const storeUrl = backend === 'PostgreSQL' ? `${PG_URL}?schema=${schema}` : `${REDIS_URL}/0?prefix=${prefix}-store:`;
      const receiver = spawnReceiver(join(dir, 'keys'), transport, storeUrl);
      const store = backend === 'PostgreSQL' ? createPostgresStore({ connectionString: PG_URL, schema }) : createRedisStore({ url: REDIS_URL, prefix: `${prefix}-store:` });
      const redis = new Redis(REDIS_URL);
      const deadQueue = new Queue(`${queue}-dead`, { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
      const deadJobs = async () => deadQueue.getJobs(['waiting', 'active', 'completed', 'delayed']);
      try {
        await store.init();
        await sendOutbox(transport);
        const codes = await poison(transport);
        await until(async () => {
          // The receiver creates the table on start; until then the query fails.
          try {
            return (await store.list({ limit: 1000 })).length === 42 && (await deadJobs()).length === codes.length;
          } catch {
            return false;
          }
        });
        await checkStored(store);
        expect((await deadJobs()).map((job) => job.data.code as string).sort()).toEqual(codes.sort());
      } finally {
        receiver.kill('SIGTERM');
        const [code] = await once(receiver, 'exit');
        expect(code).toBe(0);
        await store.close();
        await deadQueue.close();
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length) await redis.del(...keys);
        redis.disconnect();
        await dropSchema(schema);
      }
    });
  }

  for (const backend of ['PostgreSQL', 'DynamoDB'] as const) {
    it(`SQS (fauxqs) + ${backend}: every message stored once; poison in the dead-letter queue with its reason as attributes`, async () => {
      const fauxqs = await startSqsEmulator();
      const dynamo = dynalite({ createTableMs: 0 });
      await new Promise<void>((done) => dynamo.listen(0, '127.0.0.1', done));
      const dynamoUrl = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
      const sqs = new SQSClient({ endpoint: fauxqs.address, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      const name = `q-${randomUUID()}`;
      const dead = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dead` }));
      const deadArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dead.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
      const queue = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadArn, maxReceiveCount: '20' }) } }));
      const transport = `sqs:${queue.QueueUrl}?deadLetter=${encodeURIComponent(dead.QueueUrl!)}`;
      // The emulators' endpoints come from the standard AWS variables, as a deployment's would.
      AWS_ENV.AWS_ENDPOINT_URL_SQS = fauxqs.address;
      AWS_ENV.AWS_ENDPOINT_URL_DYNAMODB = dynamoUrl;
      Object.assign(process.env, AWS_ENV);
      const schema = `t_${randomUUID().replace(/-/g, '')}`;
      const table = `messages-${randomUUID()}`;
      const receiver = spawnReceiver(join(dir, 'keys'), transport, backend === 'PostgreSQL' ? `${PG_URL}?schema=${schema}` : `dynamodb://${table}`);
      const store = backend === 'PostgreSQL' ? createPostgresStore({ connectionString: PG_URL, schema }) : createDynamoDbStore({ table });
      const deadCodes: string[] = [];
      try {
        await sendOutbox(transport);
        const codes = await poison(transport);
        await until(async () => {
          const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dead.QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 0 }));
          deadCodes.push(...Messages.map((m) => m.MessageAttributes!['sealpost-error-code']!.StringValue!));
          try {
            return (await store.list({ limit: 1000 })).length === 42 && deadCodes.length === codes.length;
          } catch {
            return false;
          }
        });
        await checkStored(store);
        expect(deadCodes.sort()).toEqual(codes.sort());
      } finally {
        receiver.kill('SIGTERM');
        const [code] = await once(receiver, 'exit');
        expect(code).toBe(0);
        await store.close();
        sqs.destroy();
        await fauxqs.stop();
        await new Promise((done) => dynamo.close(done));
        await dropSchema(schema);
      }
    });
  }

  it('sealpost send of a directory of 1,000 files to BullMQ and to SQS: all 1,000 stored, and the summary counts match', async () => {
    const fauxqs = await startSqsEmulator();
    const sqs = new SQSClient({ endpoint: fauxqs.address, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    AWS_ENV.AWS_ENDPOINT_URL_SQS = fauxqs.address;
    Object.assign(process.env, AWS_ENV);
    const name = `q-${randomUUID()}`;
    const dead = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dead` }));
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const prefix = `sealpost-test-${randomUUID()}`;
    const transports = [`bullmq://127.0.0.1:6379/q-${randomUUID()}?prefix=${prefix}`, `sqs:${queue.QueueUrl}?deadLetter=${encodeURIComponent(dead.QueueUrl!)}`];
    try {
      for (const transport of transports) {
        const database = join(dir, `thousand-${randomUUID()}.db`);
        const receiver = spawnReceiver(join(dir, 'keys'), transport, `sqlite:${database}`);
        try {
          const { stdout } = await run(process.execPath, [CLI, 'send', '--transport', transport, '--sign-key', join(dir, 'keys/sender.pem'), '--to', join(dir, 'keys/receiver.pub.pem'), join(dir, 'outbox-1000'), '--json'], { env: { ...process.env, ...AWS_ENV }, maxBuffer: 16 * 1024 * 1024 });
          const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
          expect(lines.at(-1)).toMatchObject({ sent: 1000, failed: 0 });
          expect(lines.filter((l) => typeof l.id === 'string')).toHaveLength(1000);
          const store = createSqliteStore(database);
          await until(async () => {
            try {
              await store.init();
              return (await store.list({ limit: 2000 })).length === 1000;
            } catch {
              return false;
            }
          }, 400_000);
          const stored = await store.list({ limit: 2000 });
          expect(new Set(stored.map((m) => m.payloadName)).size).toBe(1000);
          await store.close();
        } finally {
          receiver.kill('SIGTERM');
          await once(receiver, 'exit');
        }
      }
    } finally {
      sqs.destroy();
      await fauxqs.stop();
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  }, 900_000);
});
