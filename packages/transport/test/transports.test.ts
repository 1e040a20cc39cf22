import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createBullmqTransport, createSpoolTransport, openTransport } from '../src/index.ts';
import { describeTransportConformance } from './conformance.ts';

const REDIS_URL = process.env.SEALPOST_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const fast = { pollIntervalMs: 10, retryDelayMs: 20 };

describeTransportConformance('spool', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-spool-'));
  const { sender, consumer } = createSpoolTransport(dir, fast);
  return {
    sender,
    consumer,
    reopen: () => createSpoolTransport(dir, fast).consumer,
    async deadLetters() {
      const names = (await readdir(join(dir, 'dead')).catch(() => [] as string[])).filter((n) => n.endsWith('.sealpost'));
      return Promise.all(names.map(async (n) => ({ envelope: await readFile(join(dir, 'dead', n)), code: (JSON.parse(await readFile(join(dir, 'dead', `${n}.reason.json`), 'utf8')) as { code: string }).code })));
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describeTransportConformance('BullMQ', async () => {
  const queue = `q-${randomUUID()}`;
  const prefix = `sealpost-test-${randomUUID()}`;
  const options = { redisUrl: REDIS_URL, queue, prefix, retryDelayMs: 20, lockDurationMs: 1000, stalledIntervalMs: 500 };
  const { sender, consumer } = createBullmqTransport(options);
  const deadQueue = new Queue(`${queue}-dead`, { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
  return {
    sender,
    consumer,
    reopen: () => createBullmqTransport(options).consumer,
    async deadLetters() {
      const jobs = await deadQueue.getJobs(['waiting', 'completed', 'active', 'delayed']);
      return jobs.map((j) => ({ envelope: Buffer.from(j.data.envelope as string, 'base64'), code: j.data.code as string }));
    },
    async cleanup() {
      await deadQueue.close();
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    },
  };
});

describe('transport specifics', () => {
  it('spool: a worker that crashed mid-message leaves it in processing/, and the next start redelivers it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealpost-spool-'));
    try {
      const { sender } = createSpoolTransport(dir, fast);
      await sender.send(Buffer.from('x'), { messageId: 'abc' });
      const [name] = await readdir(join(dir, 'incoming'));
      const { rename } = await import('node:fs/promises');
      await rename(join(dir, 'incoming', name!), join(dir, 'processing', name!));
      const { consumer } = createSpoolTransport(dir, fast);
      const seen: string[] = [];
      await consumer.start(async (d) => {
        seen.push(Buffer.from(d.envelope).toString());
      });
      for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      await consumer.stop();
      expect(seen).toEqual(['x']);
      expect(await readdir(join(dir, 'processing'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses oversize envelopes and bad settings with clear errors', async () => {
    const { sender } = createSpoolTransport('/tmp/unused-spool', { maxEnvelopeBytes: 10 });
    await expect(sender.send(Buffer.alloc(11))).rejects.toThrow(/exceeds the spool limit/);
    expect(() => createSpoolTransport('/tmp/x', { concurrency: 0 })).toThrow(/concurrency must be between 1 and 256/);
    expect(() => openTransport('bullmq://127.0.0.1:6379/')).toThrow(/must name a queue/);
    expect(() => openTransport('kafka://x')).toThrow(/unsupported transport/);
  });
});
