import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { SealpostError } from '@sealpost/envelope';
import { describe, expect, it } from 'vitest';
import { startSqsEmulator } from '../../../test/support/sqs-emulator.ts';
import { createBullmqDeadLetters, createBullmqTransport, createSpoolDeadLetters, createSpoolTransport, createSqsDeadLetters, createSqsTransport, type DeadLetterBox, type TransportConsumer } from '../src/index.ts';

const REDIS_URL = process.env.SEALPOST_TEST_REDIS ?? 'redis://127.0.0.1:6379';

async function until(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs a consumer that refuses every delivery with `code` until `count` dead letters are in `box`. */
async function deadLetter(consumer: TransportConsumer, box: DeadLetterBox, count: number, code: (envelope: Uint8Array) => string = () => 'UNTRUSTED_SENDER'): Promise<void> {
  await consumer.start(async (delivery) => {
    throw new SealpostError(code(delivery.envelope) as 'UNTRUSTED_SENDER', 'refused for the test');
  });
  try {
    await until(async () => (await box.list()).length === count);
  } finally {
    await consumer.stop(5_000);
  }
}

describe('dead letters: a redrive interrupted half-way neither loses nor duplicates', () => {
  it('spool: a reason file left by a crash after the rename is not listed, and purge --all removes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealpost-dead-spool-'));
    try {
      const { sender, consumer } = createSpoolTransport(dir, { pollIntervalMs: 10 });
      const box = createSpoolDeadLetters(dir);
      await sender.send(Buffer.from('one'), { messageId: 'm-1' });
      await sender.send(Buffer.from('two'), { messageId: 'm-2' });
      await deadLetter(consumer, box, 2);
      await writeFile(join(dir, 'dead', '000000000000001-1-gone.sealpost.reason.json'), '{"code":"UNTRUSTED_SENDER"}\n');
      expect((await box.list()).map((l) => l.id).sort()).toEqual(['m-1', 'm-2']);
      expect((await box.redrive({ ids: ['m-1'] })).map((l) => l.id)).toEqual(['m-1']);
      expect((await readdir(join(dir, 'incoming'))).filter((n) => n.includes('m-1'))).toHaveLength(1);
      expect((await box.purge({ all: true })).map((l) => l.id)).toEqual(['m-2']);
      expect(await readdir(join(dir, 'dead'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('BullMQ: a redrive repeated after the job was re-added (a crash before the dead letter was removed) adds nothing twice', async () => {
    const prefix = `sealpost-test-${randomUUID()}`;
    const options = { redisUrl: REDIS_URL, queue: `q-${randomUUID()}`, prefix, concurrency: 2 };
    const { sender, consumer } = createBullmqTransport(options);
    const box = createBullmqDeadLetters(options);
    const source = new Queue(options.queue, { connection: { host: '127.0.0.1', port: 6379 }, prefix });
    try {
      await sender.send(Buffer.from('one'), { messageId: 'm-1' });
      await deadLetter(consumer, box, 1);
      expect(await box.list()).toMatchObject([{ id: 'm-1', code: 'UNTRUSTED_SENDER', attempts: 1, size: 3 }]);
      // The crash: the envelope is back on the queue, the dead letter not yet removed.
      await (await source.getJob('m-1'))!.remove();
      await sender.send(Buffer.from('one'), { messageId: 'm-1' });
      expect((await box.redrive({ code: 'UNTRUSTED_SENDER' })).map((l) => l.id)).toEqual(['m-1']);
      expect(await source.getWaitingCount()).toBe(1);
      expect(await box.list()).toEqual([]);
    } finally {
      await Promise.all([box.close(), sender.close(), source.close()]);
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it('SQS: a redrive by code moves only that code; the other dead letters are visible again at once', async () => {
    const emulator = await startSqsEmulator();
    const client = new SQSClient({ endpoint: emulator.address, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    try {
      const name = `q-${randomUUID()}`;
      const dead = await client.send(new CreateQueueCommand({ QueueName: `${name}-dead` }));
      const queue = await client.send(new CreateQueueCommand({ QueueName: name }));
      const options = { queueUrl: queue.QueueUrl!, deadLetterQueueUrl: dead.QueueUrl!, client, waitTimeSeconds: 1, visibilityTimeoutSeconds: 5 };
      const { sender, consumer } = createSqsTransport(options);
      const box = createSqsDeadLetters(options);
      await sender.send(Buffer.from('one'), { messageId: 'm-1' });
      await sender.send(Buffer.from('two'), { messageId: 'm-2' });
      await deadLetter(consumer, box, 2, (envelope) => (Buffer.from(envelope).toString() === 'one' ? 'UNTRUSTED_SENDER' : 'SIGNATURE_INVALID'));
      expect((await box.list()).map((l) => [l.id, l.code, l.attempts]).sort()).toEqual([['m-1', 'UNTRUSTED_SENDER', 1], ['m-2', 'SIGNATURE_INVALID', 1]]);
      expect((await box.redrive({ code: 'UNTRUSTED_SENDER' })).map((l) => l.id)).toEqual(['m-1']);
      expect((await box.list()).map((l) => l.id)).toEqual(['m-2']);
      const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
      expect(Attributes?.ApproximateNumberOfMessages).toBe('1');
      expect((await box.purge({ ids: ['m-2'] })).map((l) => l.id)).toEqual(['m-2']);
      expect(await box.list()).toEqual([]);
    } finally {
      client.destroy();
      await emulator.stop();
    }
  });
});

