import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Queue } from 'bullmq';
import { startSqsEmulator } from './support/sqs-emulator.ts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, createSqliteStore, type MessageStore } from '@sealpost/store';
import { removeBullmqKeys, sendMessages } from './support/messages.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';
import { AWS_ENV, CLI, spawnReceiver, until } from './support/receiver.ts';
import { PG_URL, REDIS_URL, dropSchema } from './support/servers.ts';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-resilience-'));
  await run(process.execPath, [CLI, 'keygen', '--type', 'ec-p256', '--out', join(dir, 'keys/sender')]);
  await run(process.execPath, [CLI, 'keygen', '--type', 'rsa-2048', '--out', join(dir, 'keys/receiver')]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});


/** The test's messages, from the test's keys. */
const sendMany = (transport: string, count: number) => sendMessages(join(dir, 'keys'), transport, count);

async function storedIds(store: MessageStore): Promise<string[]> {
  try {
    await store.init();
    return (await store.list({ limit: 10_000 })).map((m) => m.id);
  } catch {
    return [];
  }
}

const COUNT = 2000;

describe('crash safety: the worker killed with SIGKILL at random moments, then restarted', () => {
  const cases: [string, () => Promise<{ transport: string; cleanup: () => Promise<void> }>][] = [
    ['spool', async () => ({ transport: `spool:${join(dir, `spool-${randomUUID()}`)}`, cleanup: async () => undefined })],
    [
      'BullMQ',
      async () => {
        const prefix = `sealpost-test-${randomUUID()}`;
        return {
          transport: `bullmq://127.0.0.1:6379/q-${randomUUID()}?prefix=${prefix}&lockDurationMs=2000&stalledIntervalMs=1000`,
          cleanup: async () => {
            await removeBullmqKeys(prefix);
          },
        };
      },
    ],
    [
      'SQS',
      async () => {
        const fauxqs = await startSqsEmulator();
        AWS_ENV.AWS_ENDPOINT_URL_SQS = fauxqs.address;
        Object.assign(process.env, AWS_ENV);
        const sqs = new SQSClient({ endpoint: fauxqs.address, region: 'us-east-1' });
        const dead = await sqs.send(new CreateQueueCommand({ QueueName: `d-${randomUUID()}` }));
        const queue = await sqs.send(new CreateQueueCommand({ QueueName: `q-${randomUUID()}` }));
        sqs.destroy();
        return {
          transport: `sqs:${queue.QueueUrl}?deadLetter=${encodeURIComponent(dead.QueueUrl!)}&visibilityTimeoutSeconds=3`,
          cleanup: () => fauxqs.stop(),
        };
      },
    ],
  ];

  for (const [name, setup] of cases) {
    it(`${name}: ${COUNT} messages, every one stored exactly once, none lost`, async () => {
      const { transport, cleanup } = await setup();
      const database = join(dir, `${name}-${randomUUID()}.db`);
      const store = createSqliteStore(database);
      try {
        const sent = await sendMany(transport, COUNT);
        // Killed while messages were still being processed: the kills that matter.
        let midRunKills = 0;
        for (let kills = 0; kills < 5 && (await storedIds(store)).length < COUNT; kills++) {
          const before = (await storedIds(store)).length;
          const worker = spawnReceiver(join(dir, 'keys'), transport, `sqlite:${database}`, { SEALPOST_CONCURRENCY: '4' });
          // Killed once it is storing (however long a busy machine takes to start it), at a random moment.
          await until(async () => (await storedIds(store)).length > before || worker.exitCode !== null, 120_000);
          await new Promise((r) => setTimeout(r, Math.random() * 700));
          worker.kill('SIGKILL');
          await once(worker, 'exit');
          if ((await storedIds(store)).length < COUNT) midRunKills++;
        }
        expect(midRunKills).toBeGreaterThan(0);
        const worker = spawnReceiver(join(dir, 'keys'), transport, `sqlite:${database}`);
        try {
          await until(async () => (await storedIds(store)).length >= COUNT, 400_000);
          await new Promise((r) => setTimeout(r, 500));
        } finally {
          worker.kill('SIGTERM');
          await once(worker, 'exit');
        }
        const ids = await storedIds(store);
        expect(ids.length).toBe(COUNT);
        expect(new Set(ids)).toEqual(new Set(sent));
      } finally {
        await store.close();
        await cleanup();
      }
    }, 900_000);
  }
});

describe('a store outage during a run', () => {
  it('PostgreSQL unreachable for a while: messages wait and are retried, none dead-lettered, none lost', async () => {
    const proxy = await startTcpProxy(5432);
    const schema = `t_${randomUUID().replace(/-/g, '')}`;
    const prefix = `sealpost-test-${randomUUID()}`;
    const queue = `q-${randomUUID()}`;
    const transport = `bullmq://127.0.0.1:6379/${queue}?prefix=${prefix}`;
    const viaProxy = `postgres://postgres@127.0.0.1:${proxy.port}/test?schema=${schema}`;
    const worker = spawnReceiver(join(dir, 'keys'), transport, viaProxy, { SEALPOST_CONCURRENCY: '4' });
    const store = createPostgresStore({ connectionString: PG_URL, schema });
    const deadQueue = new Queue(`${queue}-dead`, { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
    try {
      const sent = sendMany(transport, 300);
      await until(async () => (await storedIds(store)).length >= 30, 240_000);
      await proxy.down();
      await new Promise((r) => setTimeout(r, 4000));
      const duringOutage = (await storedIds(store)).length;
      await proxy.up();
      const ids = await sent;
      await until(async () => (await storedIds(store)).length === 300, 400_000);
      expect(duringOutage).toBeLessThan(300);
      expect(new Set(await storedIds(store))).toEqual(new Set(ids));
      expect(await deadQueue.getJobs(['waiting', 'active', 'completed', 'delayed', 'failed'])).toEqual([]);
    } finally {
      worker.kill('SIGTERM');
      await once(worker, 'exit');
      await store.close();
      await deadQueue.close();
      await proxy.close();
      await removeBullmqKeys(prefix);
      await dropSchema(schema);
    }
  }, 900_000);
});

describe('SIGTERM under load', () => {
  it('in-flight messages finish, the worker exits 0 within its deadline, and a restart completes the rest exactly once', async () => {
    const prefix = `sealpost-test-${randomUUID()}`;
    const transport = `bullmq://127.0.0.1:6379/q-${randomUUID()}?prefix=${prefix}`;
    const database = join(dir, `sigterm-${randomUUID()}.db`);
    const store = createSqliteStore(database);
    try {
      const sent = await sendMany(transport, COUNT);
      const worker = spawnReceiver(join(dir, 'keys'), transport, `sqlite:${database}`, { SEALPOST_SHUTDOWN_TIMEOUT: '10s' });
      await until(async () => (await storedIds(store)).length >= 100, 240_000);
      const stoppedAt = Date.now();
      worker.kill('SIGTERM');
      const [code] = await once(worker, 'exit');
      expect(code).toBe(0);
      // The worker's own 10 s deadline, plus room for a busy machine to end the process.
      expect(Date.now() - stoppedAt).toBeLessThan(10_000 + 30_000);
      const restarted = spawnReceiver(join(dir, 'keys'), transport, `sqlite:${database}`);
      try {
        await until(async () => (await storedIds(store)).length >= COUNT, 400_000);
      } finally {
        restarted.kill('SIGTERM');
        await once(restarted, 'exit');
      }
      expect(new Set(await storedIds(store))).toEqual(new Set(sent));
    } finally {
      await store.close();
      await removeBullmqKeys(prefix);
    }
  }, 900_000);
});
