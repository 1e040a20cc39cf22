import { randomBytes, randomUUID } from 'node:crypto';
import { SealpostError } from '@sealpost/envelope';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createBullmqTransport, createSpoolTransport, openTransport } from '../src/index.ts';
import { describeTransportConformance } from './conformance.ts';

const REDIS_URL = process.env.SEALPOST_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const fast = { pollIntervalMs: 10, retryDelayMs: 20, maxEnvelopeBytes: 64 * 1024 };

describeTransportConformance('spool', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-spool-'));
  const { sender, consumer } = createSpoolTransport(dir, fast);
  const incoming = join(dir, 'incoming');
  return {
    sender,
    consumer,
    reopen: () => createSpoolTransport(dir, fast).consumer,
    async deadLetters() {
      const names = (await readdir(join(dir, 'dead')).catch(() => [] as string[])).filter((n) => !n.endsWith('.reason.json'));
      return Promise.all(
        names.map(async (n) => ({
          envelope: await readFile(join(dir, 'dead', n)).catch(() => Buffer.alloc(0)),
          code: (JSON.parse(await readFile(join(dir, 'dead', `${n}.reason.json`), 'utf8')) as { code: string }).code,
        })),
      );
    },
    async injectMalformed() {
      await mkdir(incoming, { recursive: true });
      await writeFile(join(incoming, 'notes.txt'), 'not an envelope');
      await writeFile(join(incoming, '12-1-short-due-time.sealpost'), 'x');
      await writeFile(join(incoming, '.hidden'), 'x');
      await mkdir(join(incoming, `${'0'.repeat(15)}-1-a-directory.sealpost`));
      return 4;
    },
    async injectOversized() {
      await mkdir(incoming, { recursive: true });
      await writeFile(join(incoming, `${'0'.repeat(15)}-1-big.sealpost`), Buffer.alloc(fast.maxEnvelopeBytes + 1));
    },
    async pending() {
      const [a, b] = await Promise.all([readdir(incoming), readdir(join(dir, 'processing'))]);
      return a.length + b.length;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describeTransportConformance('BullMQ', async () => {
  const queue = `q-${randomUUID()}`;
  const prefix = `sealpost-test-${randomUUID()}`;
  const options = { redisUrl: REDIS_URL, queue, prefix, retryDelayMs: 20, lockDurationMs: 1000, stalledIntervalMs: 500, maxEnvelopeBytes: 64 * 1024 };
  const { sender, consumer } = createBullmqTransport(options);
  const deadQueue = new Queue(`${queue}-dead`, { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
  const raw = new Queue(queue, { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
  return {
    sender,
    consumer,
    reopen: () => createBullmqTransport(options).consumer,
    async deadLetters() {
      const jobs = await deadQueue.getJobs(['waiting', 'completed', 'active', 'delayed']);
      return jobs.map((j) => ({ envelope: typeof j.data.envelope === 'string' ? Buffer.from(j.data.envelope, 'base64') : Buffer.alloc(0), code: j.data.code as string }));
    },
    async injectMalformed() {
      const bad: unknown[] = [{}, 42, 'a string', null, { envelope: 7 }, { envelope: 'not base64!' }, { envelope: 'QUJD RA==' }];
      for (const data of bad) await raw.add('envelope', data, { attempts: 5 });
      return bad.length;
    },
    async injectOversized() {
      await raw.add('envelope', { envelope: Buffer.alloc(options.maxEnvelopeBytes + 3).toString('base64') }, { attempts: 5 });
    },
    async pending() {
      const counts = await raw.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    async cleanup() {
      await raw.close();
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

  it('BullMQ: a dead letter is kept once: the failed job keeps a pointer, not the envelope', async () => {
    const queue = `q-${randomUUID()}`;
    const prefix = `sealpost-test-${randomUUID()}`;
    const { sender, consumer } = createBullmqTransport({ redisUrl: REDIS_URL, queue, prefix, maxEnvelopeBytes: 64 * 1024 });
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const main = new Queue(queue, { connection, prefix });
    const dead = new Queue(`${queue}-dead`, { connection, prefix });
    try {
      const envelope = randomBytes(32 * 1024);
      await sender.send(envelope, { messageId: 'poison-1' });
      await consumer.start(async () => {
        throw new SealpostError('SIGNATURE_INVALID');
      });
      for (let i = 0; i < 200 && (await main.getFailedCount()) === 0; i++) await new Promise((r) => setTimeout(r, 25));
      const [failed] = await main.getFailed();
      expect(failed!.data).toEqual({ deadLettered: { queue: `${queue}-dead`, jobId: 'dead-poison-1', code: 'SIGNATURE_INVALID' } });
      const copy = (await dead.getJob('dead-poison-1'))!;
      expect(Buffer.from(copy.data.envelope as string, 'base64').equals(envelope)).toBe(true);
      expect(await dead.getWaitingCount()).toBe(1);
    } finally {
      await consumer.stop(1000);
      await sender.close();
      await main.close();
      await dead.close();
      const keys = await connection.keys(`${prefix}:*`);
      if (keys.length) await connection.del(...keys);
      connection.disconnect();
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
