import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '@sealpost/store';
import { openDeadLetters } from '@sealpost/transport';
import { AWS_ENV, CLI, spawnReceiver, until } from './support/receiver.ts';
import { REDIS_URL } from './support/servers.ts';
import { startSqsEmulator, type SqsEmulator } from './support/sqs-emulator.ts';

const run = promisify(execFile);
let dir: string;
let fauxqs: SqsEmulator;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-dead-'));
  for (const [name, type] of [['sender', 'ec-p256'], ['stranger', 'ec-p256'], ['receiver', 'rsa-2048']]) {
    await run(process.execPath, [CLI, 'keygen', '--type', type!, '--out', join(dir, 'keys', name!)]);
  }
  await writeFile(join(dir, 'order.json'), '{"order":42}\n');
  fauxqs = await startSqsEmulator();
  // The emulator's endpoint comes from the standard AWS variables, for the commands and this process alike.
  Object.assign(process.env, AWS_ENV, { AWS_ENDPOINT_URL_SQS: fauxqs.address });
  env = { ...process.env };
});

afterAll(async () => {
  await fauxqs?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function sealpost(...args: string[]): Promise<string> {
  return (await run(process.execPath, [CLI, ...args], { env })).stdout;
}

async function deadList(transport: string): Promise<{ id: string; code: string; attempts?: number; at?: string }[]> {
  return (await sealpost('dead', 'list', '--transport', transport, '--json')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** How many dead letters there are, read in this process (the waits poll; the CLI is run for what is checked). */
async function deadCount(transport: string): Promise<number> {
  const box = openDeadLetters(transport);
  try {
    return (await box.list()).length;
  } finally {
    await box.close();
  }
}

async function sqsTransport(): Promise<string> {
  const sqs = new SQSClient({ endpoint: fauxqs.address, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const name = `q-${randomUUID()}`;
  const dead = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dead` }));
  const deadArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dead.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadArn, maxReceiveCount: '20' }) } }));
  sqs.destroy();
  return `sqs:${queue.QueueUrl}?deadLetter=${encodeURIComponent(dead.QueueUrl!)}`;
}

async function stop(receiver: ReturnType<typeof spawnReceiver>): Promise<void> {
  receiver.kill('SIGTERM');
  const [code] = await once(receiver, 'exit');
  expect(code).toBe(0);
}

describe('sealpost dead: an untrusted sender, trusted later, redriven once', () => {
  const prefix = `sealpost-test-${randomUUID()}`;
  afterAll(async () => {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  const transports: [string, () => Promise<string>][] = [
    ['spool', async () => `spool:${join(dir, `spool-${randomUUID()}`)}`],
    ['BullMQ', async () => `bullmq://127.0.0.1:6379/q-${randomUUID()}?prefix=${prefix}`],
    ['SQS (fauxqs)', sqsTransport],
  ];
  for (const [name, make] of transports) {
    it(`${name}: dead-lettered as UNTRUSTED_SENDER, listed by message id; after the trust is added and the worker restarted, redrive stores it and the dead letter is gone`, async () => {
      const transport = await make();
      const database = join(dir, `${randomUUID()}.db`);
      const keys = join(dir, 'keys');
      let receiver = spawnReceiver(keys, transport, `sqlite:${database}`, { ...env as Record<string, string>, SEALPOST_TRUST: join(keys, 'stranger.pub.pem') });
      let id: string;
      try {
        const sent = await sealpost('send', '--transport', transport, '--sign-key', join(keys, 'sender.pem'), '--to', join(keys, 'receiver.pub.pem'), join(dir, 'order.json'), '--json');
        id = JSON.parse(sent.trim().split('\n')[0]!).id as string;
        await until(async () => (await deadCount(transport)) === 1, 120_000);
        const [letter] = await deadList(transport);
        expect(letter).toMatchObject({ id, code: 'UNTRUSTED_SENDER', attempts: 1 });
        expect(Date.parse(letter!.at!)).toBeGreaterThan(Date.now() - 600_000);
        const shown = JSON.parse(await sealpost('dead', 'show', id, '--transport', transport, '--json'));
        expect(shown).toMatchObject({ id, code: 'UNTRUSTED_SENDER', header: { recipients: [expect.objectContaining({ algorithm: expect.any(String) })] } });
      } finally {
        await stop(receiver);
      }
      receiver = spawnReceiver(keys, transport, `sqlite:${database}`, env as Record<string, string>);
      try {
        expect(JSON.parse(await sealpost('dead', 'redrive', id, '--transport', transport, '--json'))).toEqual({ redriven: [id] });
        const store = createSqliteStore(database);
        await store.init();
        try {
          await until(async () => (await store.get(id)) !== undefined, 120_000);
          expect((await store.list({ limit: 10 })).map((m) => m.id)).toEqual([id]);
        } finally {
          await store.close();
        }
        expect(await deadList(transport)).toEqual([]);
        // A second redrive of the same id finds nothing to send: exit 2, naming it.
        await expect(sealpost('dead', 'redrive', id, '--transport', transport)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining(id) });
      } finally {
        await stop(receiver);
      }
      if (name === 'spool') expect(await readdir(join(transport.slice('spool:'.length), 'dead'))).toEqual([]);
      if (name === 'BullMQ') {
        const queueName = new URL(transport.replace('bullmq:', 'redis:')).pathname.slice(1);
        const source = new Queue(queueName, { connection: { host: '127.0.0.1', port: 6379 }, prefix });
        // The failed job that pointed at the dead letter went with it.
        expect(await source.getFailedCount()).toBe(0);
        await source.close();
      }
    }, 300_000);
  }
});
